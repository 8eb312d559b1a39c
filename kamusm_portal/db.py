"""Database helpers: Turkish collation for sorting (per vendor), history rows for set-based writes.

The history rows written here name the running service's actor (``kamusm_portal.services``)
unless a ``user_id`` is given, as the rows simple-history writes on ``save()`` do."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.db import connection, connections
from django.db.backends.signals import connection_created
from django.db.models import CharField, IntegerField, Model, QuerySet, Value
from django.db.models.functions import Collate
from simple_history.utils import get_history_model_for_model

from kamusm_portal.services import acting_user
from kamusm_portal.text import tr_sort_key

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper
    from django.db.models.expressions import Combinable
    from django.db.models.sql.compiler import SQLCompiler

POSTGRES_TURKISH = "tr-TR-x-icu"
SQLITE_TURKISH = "turkish"


def _sqlite_turkish(a: str, b: str) -> int:
    ka, kb = tr_sort_key(a), tr_sort_key(b)
    return (ka > kb) - (ka < kb)


def _register(sender: object, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
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

    collation: str  # set by Collate.__init__ (django-stubs leaves it out)

    def __init__(self, expression: Combinable | str) -> None:
        super().__init__(expression, POSTGRES_TURKISH)

    def as_sqlite(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra_context: Any
    ) -> tuple[str, Any]:
        clone = self.copy()
        clone.collation = SQLITE_TURKISH
        return clone.as_sql(compiler, connection, **extra_context)


@functools.cache
def _history_columns(model: type[Model]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The tracked columns of ``model`` (its own names) and the history table's columns to fill
    (kept: simple-history builds a manager class at every ``model.history``)."""
    history_model = get_history_model_for_model(model)
    kept = {f.attname for f in history_model._meta.concrete_fields}
    tracked = [f.attname for f in model._meta.concrete_fields if f.attname in kept]  # excluded fields left out
    columns = (
        *(history_model._meta.get_field(name).column for name in tracked),
        "history_date",
        "history_type",
        "history_user_id",
        "history_change_reason",
    )
    return tuple(tracked), columns


@functools.cache
def _history_into(model: type[Model], vendor: str) -> str:
    _tracked, columns = _history_columns(model)
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    table = get_history_model_for_model(model)._meta.db_table
    return f"INSERT INTO {connection.ops.quote_name(table)} ({quoted}) "


def _user_id(user_id: int | None) -> int | None:
    """The given user, else the running service's actor."""
    if user_id is not None:
        return user_id
    actor = acting_user()
    return actor.pk if actor is not None else None


def history_copy(
    rows: QuerySet[Model], *, when: datetime, user_id: int | None = None, reason: str = "", kind: str = "~"
) -> None:
    """Write the simple-history rows of ``rows`` in one INSERT … SELECT, as they are now.

    For set-based writes (bulk inserts and updates) that bypass ``save()``: one statement
    whatever the number of rows, with the same who, when and why on each.
    """
    tracked, _columns = _history_columns(rows.model)
    select_sql, params = (
        rows.order_by()
        .annotate(
            _history_date=Value(when),
            _history_type=Value(kind),
            _history_user=Value(_user_id(user_id), output_field=IntegerField()),
            _history_reason=Value(reason[:100] if reason else None, output_field=CharField()),
        )
        .values_list(*tracked, "_history_date", "_history_type", "_history_user", "_history_reason")
        .query.sql_with_params()
    )
    with connection.cursor() as cursor:
        cursor.execute(_history_into(rows.model, connection.vendor) + select_sql, params)


@functools.cache
def history_insert_sql(model: type[Model], source: str, vendor: str) -> str:
    """``INSERT`` of the history rows of every row of ``source``: the model's table, or the name of
    a ``WITH`` query that returns its columns. Takes ``history_params`` as its first parameters."""
    tracked, _columns = _history_columns(model)
    own = {field.attname: field.column for field in model._meta.concrete_fields}
    columns = ", ".join(connection.ops.quote_name(own[name]) for name in tracked)
    return _history_into(model, vendor) + f"SELECT {columns}, %s, %s, %s, %s FROM {source}"  # noqa: S608


def history_params(*, when: datetime, user_id: int | None = None, reason: str = "", kind: str = "~") -> list[Any]:
    return [connection.ops.adapt_datetimefield_value(when), kind, _user_id(user_id), reason[:100] if reason else None]


def history_insert(
    cursor: CursorWrapper,
    model: type[Model],
    pks: list[int],
    *,
    when: datetime,
    user_id: int | None = None,
    reason: str = "",
    kind: str = "~",
) -> None:
    """``history_copy`` for rows given by primary key, in plain SQL on an open cursor (no query
    to compile: for hot paths)."""
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    cursor.execute(
        history_insert_sql(model, table, connection.vendor) + f" WHERE {pk} IN ({', '.join(['%s'] * len(pks))})",
        [*history_params(when=when, user_id=user_id, reason=reason, kind=kind), *pks],
    )
