"""Bulk writes beyond what the ORM does quickly: new rows through PostgreSQL's COPY.

A sync stores tens of thousands of issues, comments and events. COPY streams rows in one command
without building a statement per batch; with the ORM's bulk_create most of the time went into
building and parsing huge INSERT statements in Python (measured in benchmarks/sync.py).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import DEFAULT_DB_ALIAS, connections, models


def bulk_copy(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert new instances with COPY. Auto primary keys are drawn from their sequence first."""
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]  # resolved once: the proxy costs a lookup per access
    meta = model._meta
    if meta.pk.get_internal_type() in ("AutoField", "BigAutoField") and objects[0].pk is None:
        _allocate_ids(connection, meta, objects)
    fields = meta.concrete_fields
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for instance in objects:
            copy.write_row([field.get_db_prep_save(field.pre_save(instance, True), connection) for field in fields])
    for instance in objects:
        instance._state.adding = False
        instance._state.db = connection.alias


def _allocate_ids(connection, meta, objects: Sequence[models.Model]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for instance, (new_id,) in zip(objects, cursor.fetchall(), strict=True):
            instance.pk = new_id
