"""English formats: Django's own, also accepting the dotted Turkish dates (04.03.2026)."""

from django.conf.locale.en.formats import *  # noqa: F403
from django.conf.locale.en.formats import DATE_INPUT_FORMATS as _EN_DATE_INPUT_FORMATS
from django.conf.locale.en.formats import DATETIME_INPUT_FORMATS as _EN_DATETIME_INPUT_FORMATS

DATE_INPUT_FORMATS = ["%d.%m.%Y", *_EN_DATE_INPUT_FORMATS]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", *_EN_DATETIME_INPUT_FORMATS]
