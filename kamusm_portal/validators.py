"""What any input must respect (docs/domain.md, "What any input must respect"): the characters of
names, the shape of an e-mail address, the digits a number is read from, and the window of dates.

One home for each rule. The models carry the name and e-mail validators (``validators=``,
``EmailAddressField``), so admin forms and ``full_clean`` apply them; the services run the same
validators on what they are given (``field_errors``, ``input_errors``), so the API, the portal, the
admin's service-backed forms, commands and imports refuse the same input with the same words; the
API's and forms' e-mail fields use ``validate_email_address`` in place of Django's own.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time, timedelta
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import EMPTY_VALUES, EmailValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kamusm_portal.errors import Code, RuleViolation

# --- Names ------------------------------------------------------------------------------------

#: Besides letters (and the marks that complete them): what a person's name may hold.
_PERSON_EXTRA = frozenset(" '’-.")
#: Letters (any script), combining marks, digits (any script, as names write them), punctuation,
#: and the symbols of maths, currency and modifiers. Not: controls, format characters (bidi,
#: zero-width, BOM), other spaces and separators, emoji and other pictographs.
_ORGANISATION_CATEGORIES = frozenset({"Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Nd", "Nl", "No"}) | frozenset(
    {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk"}
)


#: Invisible characters whose category alone does not give them away (Unicode's default-ignorable
#: code points outside Cf): the combining grapheme joiner, Hangul and Khmer fillers, Mongolian and
#: other variation selectors.
_IGNORABLE = frozenset(
    [0x034F, 0x115F, 0x1160, 0x17B4, 0x17B5, 0x3164, 0xFFA0, *range(0x180B, 0x1810), *range(0xFE00, 0xFE10)]
) | frozenset(range(0xE0100, 0xE01F0))


def character_label(ch: str) -> str:
    """A character as a message names it: ``“#” (U+0023)``, or for one that cannot be seen its code
    and Unicode name, ``U+202E RIGHT-TO-LEFT OVERRIDE``."""
    code = f"U+{ord(ch):04X}"
    if unicodedata.category(ch)[0] in "CZM" or ord(ch) in _IGNORABLE:
        return f"{code} {unicodedata.name(ch, '')}".strip()
    return f"“{ch}” ({code})"


def _first_refused(value: str, allowed: Callable[[str], bool]) -> str | None:
    return next((ch for ch in value if not allowed(ch)), None)


def _person_char(ch: str) -> bool:
    if ch in _PERSON_EXTRA:
        return True
    return unicodedata.category(ch) in ("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc") and ord(ch) not in _IGNORABLE


def _organisation_char(ch: str) -> bool:
    return ch == " " or (unicodedata.category(ch) in _ORGANISATION_CATEGORIES and ord(ch) not in _IGNORABLE)


# The common case, checked at C speed before the character-by-character walk (an import checks
# hundreds of thousands of names): ASCII and Turkish letters with the allowed punctuation.
_TURKISH_LETTERS = "A-Za-zÇĞİÖŞÜçğıöşüÂÎÛâîû"
_PERSON_MARKS = " '’.\\-"
_ORGANISATION_MARKS = " .,;:'’\"()/&+\\-–"
_COMMON_PERSON = re.compile(rf"[{_PERSON_MARKS}]*[{_TURKISH_LETTERS}][{_TURKISH_LETTERS}{_PERSON_MARKS}]*")
_COMMON_ORGANISATION = re.compile(
    rf"[{_ORGANISATION_MARKS}]*[{_TURKISH_LETTERS}0-9][{_TURKISH_LETTERS}0-9{_ORGANISATION_MARKS}]*"
)


def validate_person_name(value: str) -> None:
    """A person's first or last name: letters of any script (with their combining marks), spaces,
    apostrophes (``'`` and ``’``), hyphens and dots, and at least one letter. Digits, controls,
    bidi overrides and isolates, zero-width characters and a BOM are refused, the first one named."""
    if _COMMON_PERSON.fullmatch(value):
        return
    refused = _first_refused(value, _person_char)
    if refused is not None:
        raise ValidationError(
            _("A name holds letters, spaces, apostrophes, hyphens and dots only; %(char)s is not allowed.")
            % {"char": character_label(refused)},
            code="invalid",
        )
    if not any(unicodedata.category(ch)[0] == "L" for ch in value):
        raise ValidationError(_("A name holds at least one letter."), code="invalid")


def validate_organisation_name(value: str) -> None:
    """An institution's or a unit's name: a person's name may hold, and digits and ordinary
    punctuation too (``19 Mayıs Üniversitesi``, ``Sağlık Bakanlığı (Merkez)``). Controls and invisible
    formatting characters are refused, the first one named."""
    if _COMMON_ORGANISATION.fullmatch(value):
        return
    refused = _first_refused(value, _organisation_char)
    if refused is not None:
        raise ValidationError(
            _("A name holds letters, digits, spaces and punctuation only; %(char)s is not allowed.")
            % {"char": character_label(refused)},
            code="invalid",
        )
    if not any(unicodedata.category(ch)[0] in "LN" for ch in value):
        raise ValidationError(_("A name holds at least one letter or digit."), code="invalid")


# --- E-mail addresses -------------------------------------------------------------------------


class EmailAddressValidator(EmailValidator):
    """Django's e-mail rule, with the part before ``@`` in ASCII: the rule browsers (``<input
    type="email">``), the OpenAPI ``format: email`` and mail servers without SMTPUTF8 agree on. An
    internationalised domain (``kurum.gov.tr``, ``bakanlık.gov.tr``) is allowed. (Django's own
    pattern, matched without regard to case, takes ``ı`` but not ``ş``: this one takes neither.)"""

    ascii_message = gettext_lazy(
        "Write the part before @ in Latin letters without accents (ğ → g, ı → i, ş → s, ç → c, ö → o, ü → u)."
    )

    def __call__(self, value: str | None) -> None:
        if value and "@" in value and not value.rsplit("@", 1)[0].isascii():
            raise ValidationError(self.ascii_message, code=self.code, params={"value": value})
        super().__call__(value)


validate_email_address = EmailAddressValidator()


class EmailAddressFormField(forms.EmailField):
    """A form's e-mail field under ``validate_email_address``."""

    default_validators = [validate_email_address]


class EmailAddressField(models.EmailField):
    """A model's e-mail field under ``validate_email_address`` (its form field too)."""

    default_validators = [validate_email_address]

    def formfield(
        self,
        form_class: type[forms.Field] | None = None,
        choices_form_class: type[forms.ChoiceField] | None = None,
        **kwargs: Any,
    ) -> forms.Field | None:
        return super().formfield(
            form_class=form_class or EmailAddressFormField, choices_form_class=choices_form_class, **kwargs
        )


# --- Checking values in a service -------------------------------------------------------------

Validator = Callable[[Any], None]


def input_errors(checks: Mapping[str, tuple[Any, Iterable[Validator]]]) -> dict[str, list[str]]:
    """Each field's value through its validators (an empty value is not checked: whether it is
    required is the caller's rule); the messages of those refused, by field."""
    errors: dict[str, list[str]] = {}
    for name, (value, validators) in checks.items():
        if value in EMPTY_VALUES:
            continue
        for validator in validators:
            try:
                validator(value)
            except ValidationError as exc:
                errors.setdefault(name, []).extend(exc.messages)
    return errors


def field_errors(model: type[models.Model], values: Mapping[str, Any]) -> dict[str, list[str]]:
    """``input_errors`` with the validators the model's fields carry (length, names, e-mail)."""
    fields = {name: model._meta.get_field(name) for name in values}
    return input_errors({name: (value, getattr(fields[name], "validators", ())) for name, value in values.items()})


def refuse(errors: Mapping[str, Any]) -> None:
    """``invalid`` naming every refused field, when there is one; its first message as the sentence."""
    if errors:
        first = next(iter(errors.values()))
        while isinstance(first, Mapping):
            first = next(iter(first.values()))
        raise RuleViolation(Code.INVALID, str(first[0]), fields=dict(errors))


# --- Digits -----------------------------------------------------------------------------------

#: ASCII digits only: ``\d`` and ``int()`` also take Arabic-Indic (``٣``), Devanagari and other digits.
ASCII_DIGITS = re.compile(r"[0-9]+")


# --- The window of dates ----------------------------------------------------------------------

#: Dates of preferred windows, unavailability and sessions lie between today and this many years
#: ahead (docs/domain.md, "What any input must respect"); staff's on-site sessions recorded after
#: the fact may lie as many years in the past.
YEARS_AHEAD = 2


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def dates_window(*, past: bool = False) -> tuple[date, date]:
    """The first and last day a date may take today (Turkish time): today (with ``past``, that day
    ``YEARS_AHEAD`` years back) and that day ``YEARS_AHEAD`` years ahead."""
    today = timezone.localdate()
    return (_years_from(today, -YEARS_AHEAD) if past else today), _years_from(today, YEARS_AHEAD)


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _before(value: date | datetime, day: date) -> bool:
    """Whether a date, or a moment (compared as it is: never converted, so year 9999 cannot
    overflow), falls before the day (Turkish time)."""
    return value < _day_start(day) if isinstance(value, datetime) else value < day


def _after(value: date | datetime, day: date) -> bool:
    """Whether a date falls after the day, or a moment after its end (midnight that night)."""
    return value > _day_start(day + timedelta(days=1)) if isinstance(value, datetime) else value > day


def dates_errors(
    start: date | datetime, end: date | datetime, *, start_field: str, end_field: str, past: bool = False
) -> dict[str, list[str]]:
    """The window's refusals, by field: the start before the first day allowed (today, or with
    ``past`` ``YEARS_AHEAD`` years back), the end after the last (``YEARS_AHEAD`` years ahead)."""
    first, last = dates_window(past=past)
    message = _("Dates lie between %(first)s and %(last)s.") % {
        "first": first.strftime("%d.%m.%Y"),  # as the portal writes dates in either language
        "last": last.strftime("%d.%m.%Y"),
    }
    errors: dict[str, list[str]] = {}
    if _before(start, first):
        errors[start_field] = [message]
    if _after(end, last):
        errors[end_field] = [message]
    return errors


def dates_check(
    start: date | datetime, end: date | datetime, *, start_field: str, end_field: str, past: bool = False
) -> None:
    """``invalid`` unless the dates lie in the window (``dates_errors``), naming the field out of it."""
    refuse(dates_errors(start, end, start_field=start_field, end_field=end_field, past=past))
