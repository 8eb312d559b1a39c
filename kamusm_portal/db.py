"""Database helpers that differ per vendor: Turkish collation for sorting."""

from django.db import connections
from django.db.backends.signals import connection_created
from django.db.models.functions import Collate

from kamusm_portal.text import tr_sort_key

POSTGRES_TURKISH = "tr-TR-x-icu"
SQLITE_TURKISH = "turkish"


def _sqlite_turkish(a: str, b: str) -> int:
    ka, kb = tr_sort_key(a), tr_sort_key(b)
    return (ka > kb) - (ka < kb)


def _register(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_collation(SQLITE_TURKISH, _sqlite_turkish)


def install_sqlite_collation() -> None:
    """Register the Turkish collation on every SQLite connection, open ones included."""
    connection_created.connect(_register, dispatch_uid="kamusm_portal.turkish_collation")
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "sqlite" and conn.connection is not None:
            _register(None, conn)


class TurkishCollate(Collate):
    """``ORDER BY name`` in Turkish alphabetical order, on PostgreSQL (ICU) and SQLite."""

    def __init__(self, expression):
        super().__init__(expression, POSTGRES_TURKISH)

    def as_sqlite(self, compiler, connection, **extra_context):
        clone = self.copy()
        clone.collation = SQLITE_TURKISH
        return clone.as_sql(compiler, connection, **extra_context)
