"""Forms of the attendance and certificates pages."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django import forms

from sessions.models import Attendance, AttendanceStatus, Participant

FILL = "fill"
"""The field of the sheet's "everyone: …" buttons (``AttendanceForm.fill_asked``)."""


class AttendanceForm(forms.Form):
    """One full / partial / absent choice per person on the roster; a row left empty is not sent.

    ``fill`` (a status) marks every row with it, unsaved: what the sheet's "everyone: …" buttons
    ask for when there is no JavaScript to set the radios in the page."""

    def __init__(
        self,
        *args: Any,
        sheet: Sequence[tuple[Participant, Attendance | None]],
        fill: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = list(sheet)
        self.filled = fill
        for participant, mark in self.sheet:
            self.fields[self.field_name(participant)] = forms.ChoiceField(
                label=participant.full_name,
                choices=AttendanceStatus.choices,
                widget=forms.RadioSelect(attrs={"class": "btn-check", "autocomplete": "off"}),
                required=False,
                initial=fill or (mark.status if mark else None),
            )

    @staticmethod
    def field_name(participant: Participant) -> str:
        return f"mark_{participant.pk}"

    @staticmethod
    def fill_asked(data: Mapping[str, Any]) -> str | None:
        """The status an "everyone: …" button sent, or ``None`` for a save."""
        value = data.get(FILL)
        return value if value in AttendanceStatus.values else None

    def rows(self) -> list[tuple[Participant, forms.BoundField, Attendance | None]]:
        return [(participant, self[self.field_name(participant)], mark) for participant, mark in self.sheet]

    def marks(self) -> list[tuple[Participant, str]]:
        """The chosen marks, in roster order."""
        return [
            (participant, self.cleaned_data[self.field_name(participant)])
            for participant, _mark in self.sheet
            if self.cleaned_data.get(self.field_name(participant))
        ]
