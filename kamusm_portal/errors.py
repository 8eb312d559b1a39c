"""The one domain exception: every broken rule carries a stable code (see API.md)."""

from __future__ import annotations

from typing import Any


class RuleViolation(Exception):
    """A rule of the domain refused a write or a read.

    ``code`` is the stable lower_snake_case rule code of API.md, ``message`` a sentence in the
    active language, ``fields`` optional per-field messages, ``status`` the HTTP status the API
    answers with (400 unless the rule says otherwise, e.g. 404 for ``no_category``).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int = 400,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.fields = fields or {}
        self.status = status

    def __str__(self) -> str:
        return self.message


def add_rule_error(form, exc: RuleViolation) -> None:
    """Put a rule violation on a Django form: on its fields where it names them, else on the form."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors if isinstance(errors, list | tuple) else [errors]:
                form.add_error(name, str(error))
            placed = True
    if not placed:
        form.add_error(None, exc.message)
