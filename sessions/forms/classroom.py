"""The form that applies for seats of a classroom session."""

from __future__ import annotations

from collections.abc import Sequence

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.models import Participant


class ReservationForm(forms.Form):
    """Tick participants of the official's institution; they are applied for in the order shown."""

    participants = forms.TypedMultipleChoiceField(
        label=_("Participants"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one participant.")},
    )

    def __init__(self, *args, participants: Sequence[Participant], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.participant_choices = list(participants)
        self.fields["participants"].choices = [
            (p.pk, f"{p.full_name} · {p.unit.name}") for p in self.participant_choices
        ]
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "reservation-form"
        self.helper.layout = Layout(
            "participants",
            StrictButton(_("Apply for seats"), type="submit", css_class="btn-primary"),
        )

    def chosen(self) -> list[Participant]:
        """The ticked participants, in the order the page shows them."""
        ids = set(self.cleaned_data["participants"])
        return [p for p in self.participant_choices if p.pk in ids]
