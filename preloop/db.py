"""Bulk writes beyond what the ORM does quickly: new rows through PostgreSQL's COPY.

A sync stores tens of thousands of issues, comments and events. COPY streams rows in one command
without building a statement per batch; with the ORM's bulk_create most of the time went into
building and parsing huge INSERT statements in Python (measured in benchmarks/sync.py).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from operator import attrgetter

from django.contrib.postgres.fields import ArrayField
from django.db import DEFAULT_DB_ALIAS, connections, models
from psycopg.types.json import Jsonb

# Columns whose Python value psycopg adapts as it is: no per-value trip through Django's field methods.
PLAIN_FIELDS = (models.CharField, models.TextField, models.UUIDField, models.IntegerField, models.BooleanField,
                models.DateTimeField, models.ForeignKey, ArrayField)  # fmt: skip


def _reader(field: models.Field, connection) -> Callable[[models.Model], object]:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return lambda instance: field.pre_save(instance, True)
    if isinstance(field, models.JSONField):
        get = attrgetter(field.attname)
        return lambda instance: Jsonb(get(instance))
    if isinstance(field, PLAIN_FIELDS) and type(field).__module__.startswith("django."):  # not our subclasses
        return attrgetter(field.attname)
    return lambda instance: field.get_db_prep_save(field.pre_save(instance, True), connection)  # e.g. encrypted


def bulk_copy(model: type[models.Model], objects: Sequence[models.Model]) -> None:
    """Insert new instances with COPY. Auto primary keys are drawn from their sequence first."""
    if not objects:
        return
    connection = connections[DEFAULT_DB_ALIAS]
    meta = model._meta
    if meta.pk.get_internal_type() in ("AutoField", "BigAutoField") and objects[0].pk is None:
        _allocate_ids(connection, meta, objects)
    fields = [field for field in meta.concrete_fields if not field.generated]  # the database computes those
    readers = [_reader(field, connection) for field in fields]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    statement = f"COPY {connection.ops.quote_name(meta.db_table)} ({columns}) FROM STDIN"
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for instance in objects:
            copy.write_row([read(instance) for read in readers])
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
