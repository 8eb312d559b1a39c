"""Turkish formats: Django's own, plus the dotted dates people actually type (04.03.2026)."""

from django.conf.locale.tr.formats import *  # noqa: F403

DATE_FORMAT = "d.m.Y"
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
DATE_INPUT_FORMATS = [
    "%d.%m.%Y",  # '04.03.2026'
    "%d.%m.%y",  # '04.03.26'
    "%d/%m/%Y",  # '04/03/2026'
    "%Y-%m-%d",  # '2026-03-04'
]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%dT%H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "."
NUMBER_GROUPING = 3
