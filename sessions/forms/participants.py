"""A participant's details, as an official enters them."""

from __future__ import annotations

from collections.abc import Sequence

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Layout, Row
from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from entitlements.models import Unit
from sessions.models import Participant


def _model_field(name: str) -> forms.Field:
    """The model field's form field, with the model's own validators (the characters of names,
    the e-mail rule): the form refuses, next to the field, what the model refuses."""
    model_field = Participant._meta.get_field(name)
    field = model_field.formfield()
    field.validators.extend(v for v in model_field.validators if v not in field.validators)
    return field


class ParticipantForm(forms.Form):
    """A participant's details; the unit is one of the official's institution's units."""

    first_name = _model_field("first_name")
    last_name = _model_field("last_name")
    email = _model_field("email")
    unit = forms.TypedChoiceField(label=_("Unit"), coerce=int)
    role = _model_field("role")
    kimlik_no = _model_field("kimlik_no")
    multiplier = _model_field("multiplier")
    language = _model_field("language")

    def __init__(self, *args, units: Sequence[Unit], submit_label: str, cancel_url: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.units = {unit.pk: unit for unit in units}
        self.fields["unit"].choices = [(unit.pk, f"{unit.name} ({unit.get_level_display()})") for unit in units]
        self.fields["kimlik_no"].help_text = _("Optional. 11 digits, checked by its checksum.")
        self.fields["kimlik_no"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "participant-form"
        self.helper.layout = Layout(
            Row(Column("first_name", css_class="col-md-6"), Column("last_name", css_class="col-md-6")),
            Row(Column("email", css_class="col-md-6"), Column("unit", css_class="col-md-6")),
            Row(
                Column("role", css_class="col-md-4"),
                Column("language", css_class="col-md-4"),
                Column("kimlik_no", css_class="col-md-4"),
            ),
            "multiplier",
            Div(
                StrictButton(submit_label, type="submit", css_class="btn-primary"),
                HTML(format_html('<a class="btn btn-outline-secondary" href="{}">{}</a>', cancel_url, _("Cancel"))),
                css_class="d-flex gap-2",
            ),
        )

    def clean_unit(self) -> Unit:
        return self.units[self.cleaned_data["unit"]]
