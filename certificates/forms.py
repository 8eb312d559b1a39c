"""Forms of the attendance and certificates pages."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms

from sessions.models import Attendance, AttendanceStatus, Participant


class AttendanceForm(forms.Form):
    """One full / partial / absent choice per person on the roster; a row left empty is not sent."""

    def __init__(self, *args, sheet: Sequence[tuple[Participant, Attendance | None]], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.sheet = list(sheet)
        for participant, mark in self.sheet:
            self.fields[self.field_name(participant)] = forms.ChoiceField(
                label=participant.full_name,
                choices=AttendanceStatus.choices,
                widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
                required=False,
                initial=mark.status if mark else None,
            )

    @staticmethod
    def field_name(participant: Participant) -> str:
        return f"mark_{participant.pk}"

    def rows(self) -> list[tuple[Participant, forms.BoundField, Attendance | None]]:
        return [(participant, self[self.field_name(participant)], mark) for participant, mark in self.sheet]

    def marks(self) -> list[tuple[Participant, str]]:
        """The chosen marks, in roster order."""
        return [
            (participant, self.cleaned_data[self.field_name(participant)])
            for participant, _mark in self.sheet
            if self.cleaned_data.get(self.field_name(participant))
        ]
