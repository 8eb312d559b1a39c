"""What a request may name: ids the database can hold, months and moments Python can compute with.

A number or a date read from a URL or a query string is checked here before it reaches a query or
date arithmetic, so that a value out of range is a clear refusal (the API's 400 ``invalid``, a 404
for an id in a path, an ignored filter on a page), never a server error: PostgreSQL refuses an
integer past ``bigint`` and SQLite's driver one past 2**63 - 1, and a date next to year 1 or 9999
overflows once a time zone or a month is added to it.

- ``ID_MAX`` and ``IdField`` / ``IdFilter`` / ``IdQueryField`` / ``IdConverter``: an id is a whole
  number from 1 to the largest ``bigint``, in ASCII digits (every primary key is a ``BigAutoField``;
  a province's plate code is an id too).
- ``month_or_none`` and ``moment_or_none``: a ``YYYY-MM`` month or an ISO 8601 moment between the
  years ``FIRST_YEAR`` and ``LAST_YEAR``, a year of margin inside what Python's dates hold.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import django_filters
from django import forms
from django.urls import register_converter
from django.utils.dateparse import parse_datetime
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

ID_MIN = 1
# The largest BigAutoField: PostgreSQL's bigint, and the largest integer SQLite's driver binds.
ID_MAX = 2**63 - 1

# Python's dates run from year 1 to 9999; a year either side leaves room for a time zone's shift
# and for "the following month".
FIRST_YEAR = date.min.year + 1
LAST_YEAR = date.max.year - 1

ID_SCHEMA = {"type": "integer", "minimum": ID_MIN, "maximum": ID_MAX}


def id_or_none(value: object) -> int | None:
    """``value`` as an id (a whole number from 1 to ``ID_MAX``, written in ASCII digits), else None."""
    text = str(value).strip() if value is not None else ""
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(ID_MAX)):
        return None
    number = int(text)
    return number if ID_MIN <= number <= ID_MAX else None


def _ascii(value: Any) -> Any:
    """``value`` as given, or a string that is no number when it holds other than ASCII (Python's
    ``int`` would read ``٣`` as 3)."""
    return value if not isinstance(value, str) or value.isascii() else "not a number"


class IdField(forms.IntegerField):
    """A form field for an id: a whole number from 1 to ``ID_MAX`` in ASCII digits (Django's own
    messages say why another is refused)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> int | None:
        return super().to_python(_ascii(value))


class IdQueryField(serializers.IntegerField):
    """The same for a DRF serializer reading a query string (``?session=12``)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", ID_MIN)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        return super().to_internal_value(_ascii(data))


class IdFilter(django_filters.NumberFilter):
    """A filter by id (``?course=12``) for every API FilterSet: a value that is not an id the
    database can hold is a 400 ``invalid`` naming the parameter, never a query that overflows. The
    schema says so (an integer from 1 to ``ID_MAX``), with the filter's label as its description."""

    field_class = IdField

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        label = kwargs.get("label")
        extend_schema_field({**ID_SCHEMA, **({"description": label} if label else {})})(self)


class IdConverter:
    """The ``<id:pk>`` path converter of the API's routes: anything but an id the database can hold
    matches no route, so the API's catch-all answers its JSON 404 ``not_found``."""

    name = "id"
    regex = "[0-9]+"

    def to_python(self, value: str) -> int:
        number = id_or_none(value)
        if number is None:
            raise ValueError(value)
        return number

    def to_url(self, value: object) -> str:
        return str(value)


register_converter(IdConverter, IdConverter.name)


def month_or_none(value: str | None) -> date | None:
    """The first day of a ``YYYY-MM`` month between ``FIRST_YEAR`` and ``LAST_YEAR``, else None."""
    parts = (value or "").strip().split("-")
    if len(parts) != 2 or not all(part.isascii() and part.isdigit() and len(part) <= 4 for part in parts):
        return None
    year, month = (int(part) for part in parts)
    if not (FIRST_YEAR <= year <= LAST_YEAR and 1 <= month <= 12):
        return None
    return date(year, month, 1)


def moment_or_none(value: str | None) -> datetime | None:
    """An ISO 8601 moment (``2026-05-04T09:00``, with or without its offset) between ``FIRST_YEAR``
    and ``LAST_YEAR``, else None."""
    try:
        moment = parse_datetime((value or "").strip())
    except ValueError:  # well formed but no such moment (a 25th hour, an offset of a day)
        return None
    if moment is None or not FIRST_YEAR <= moment.year <= LAST_YEAR:
        return None
    return moment
