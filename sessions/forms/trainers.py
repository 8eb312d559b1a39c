"""A trainer's work plan: a block of their time that cannot be booked."""

from __future__ import annotations

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

DATETIME_INPUT = "%d.%m.%Y %H:%M"
# The dotted forms people type, whatever the page's language (the English locale's own datetime
# formats do not include them), then what a datetime-local or ISO input sends.
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


class UnavailabilityForm(forms.Form):
    """A block of the trainer's time that cannot be booked."""

    # A block of time, not a bound: "Starts" / "Ends" (never "From" / "To", which read "Alt sınır /
    # Üst sınır" in Turkish, the category table's words).
    starts_at = forms.DateTimeField(label=_("Starts"), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("Ends"), input_formats=DATETIME_INPUT_FORMATS)
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for name in ("starts_at", "ends_at"):
            self.fields[name].widget = forms.DateTimeInput(
                format=DATETIME_INPUT, attrs={"placeholder": _("dd.mm.yyyy hh:mm"), "autocomplete": "off"}
            )
        self.fields["reason"].widget.attrs["placeholder"] = _("Leave, another duty, …")
        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_id = "unavailability-form"
        self.helper.layout = Layout(
            Row(
                Column("starts_at", css_class="col-md-3"),
                Column("ends_at", css_class="col-md-3"),
                Column("reason", css_class="col-md-6"),
            ),
            StrictButton(_("Add the block"), type="submit", css_class="btn-primary"),
        )
