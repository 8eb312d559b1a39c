"""Database helpers that differ per vendor: Turkish collation for sorting."""

from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.db.models import CharField, IntegerField, QuerySet, Value
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


def history_copy(rows: QuerySet, *, when, user_id: int | None = None, reason: str = "", kind: str = "~") -> None:
    """Write the simple-history rows of ``rows`` in one INSERT … SELECT, as they are now.

    For set-based writes (bulk inserts and updates) that bypass ``save()``: one statement
    whatever the number of rows, with the same who, when and why on each.
    """
    model = rows.model
    history_model = model.history.model
    kept = {f.attname for f in history_model._meta.concrete_fields}
    tracked = [f.attname for f in model._meta.concrete_fields if f.attname in kept]  # excluded fields left out
    select_sql, params = (
        rows.order_by()
        .annotate(
            _history_date=Value(when),
            _history_type=Value(kind),
            _history_user=Value(user_id, output_field=IntegerField()),
            _history_reason=Value(reason[:100] if reason else None, output_field=CharField()),
        )
        .values_list(*tracked, "_history_date", "_history_type", "_history_user", "_history_reason")
        .query.sql_with_params()
    )
    columns = [
        *(history_model._meta.get_field(name).column for name in tracked),
        "history_date",
        "history_type",
        "history_user_id",
        "history_change_reason",
    ]
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = connection.ops.quote_name(history_model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({quoted}) {select_sql}", params)
