"""The form that applies for seats of a classroom session."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from sessions.models import Participant


class _SomeDisabled(forms.CheckboxSelectMultiple):
    """Checkboxes of which those in ``disabled`` are shown unticked and cannot be ticked."""

    disabled: frozenset[int] = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        if getattr(value, "value", value) in self.disabled:
            option["attrs"]["disabled"] = True
            option["selected"] = False
            option["attrs"].pop("checked", None)
        return option


class ReservationForm(forms.Form):
    """Tick participants of the official's institution; they are applied for in the order shown.

    ``unavailable`` (participant id: why) are shown unticked and disabled, the reason beside them:
    they cannot apply (a seat held on another session of the program). They stay valid choices, so
    that a page sent anyway still gets the service's refusal, which says it whole."""

    participants = forms.TypedMultipleChoiceField(
        label=_("Participants"),
        coerce=int,
        widget=_SomeDisabled,
        error_messages={"required": _("Choose at least one participant.")},
    )

    def __init__(
        self, *args, participants: Sequence[Participant], unavailable: Mapping[int, str] | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        unavailable = unavailable or {}
        self.participant_choices = list(participants)
        self.fields["participants"].choices = [
            (p.pk, f"{p.full_name} · {p.unit.name}" + (f" — {unavailable[p.pk]}" if p.pk in unavailable else ""))
            for p in self.participant_choices
        ]
        self.fields["participants"].widget.disabled = frozenset(unavailable)
        self.selectable = sum(1 for p in self.participant_choices if p.pk not in unavailable)
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
