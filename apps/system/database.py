"""Start-up checks of the configured database, with messages a person can act on."""

from django.db import OperationalError, connection

PGVECTOR_HELP = (
    "The database at DATABASE_URL has no pgvector extension, which Preloop needs for semantic search.\n"
    "Install it on that server, for example:\n"
    "  Debian/Ubuntu:  apt-get install postgresql-<major version>-pgvector\n"
    "  macOS (brew):   brew install pgvector\n"
    "  Docker:         use the image pgvector/pgvector:pg17\n"
    "  managed (RDS, Cloud SQL, Azure, Supabase, Neon): pgvector is available; enable it in the console\n"
    "Then run `CREATE EXTENSION vector;` as a superuser in the Preloop database, or let Preloop do it\n"
    "by giving its user the right to create extensions.\n"
    "Or unset DATABASE_URL to use the embedded PostgreSQL, which ships pgvector."
)


class DatabaseNotReady(Exception):
    """The database cannot serve Preloop; the message says why and what to do."""


def database_check() -> None:
    """Raise DatabaseNotReady unless the database answers and offers pgvector."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            available = cursor.fetchone() is not None
    except OperationalError as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DatabaseNotReady(f"Cannot connect to the database at DATABASE_URL: {reason}") from error
    finally:
        connection.close()
    if not available:
        raise DatabaseNotReady(PGVECTOR_HELP)
