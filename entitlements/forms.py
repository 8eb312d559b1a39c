"""Forms of the officials' portal (rendered with crispy-forms, Bootstrap 5)."""

from __future__ import annotations

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from entitlements.models import Program

# Large enough for any real institution, small enough for every database integer column.
MAX_CALCULATOR_USERS = 1_000_000_000


class ProgramChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Program) -> str:
        return obj.name


class CategoryCalculatorForm(forms.Form):
    """Public calculator: a user count and an open program (the newest by default).

    The count is localized, so a Turkish visitor may type ``1.500`` and an English one ``1,500``.
    The form is sent with GET: it changes nothing, and its result can be bookmarked.
    """

    active_users = forms.IntegerField(
        label=_("Active e-signature users"),
        min_value=0,
        max_value=MAX_CALCULATOR_USERS,
        localize=True,
        help_text=_("Total of the central, provincial and district units together."),
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    program = ProgramChoiceField(
        label=_("Program"),
        queryset=Program.objects.filter(is_open=True).order_by("-year", "name"),
        empty_label=None,
        required=False,  # left out (e.g. a bookmarked ?active_users=150): the newest open program
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.newest_program = self.fields["program"].queryset.first()
        if self.newest_program is not None:
            self.fields["program"].initial = self.newest_program.pk
        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "calculator-form"
        self.helper.disable_csrf = True  # a GET form: no state changes, no token in the URL
        self.helper.layout = Layout(
            Row(
                Column("active_users", css_class="col-md-5"),
                Column("program", css_class="col-md-5"),
                Column(
                    StrictButton(_("Show category"), type="submit", css_class="btn-primary w-100 mt-md-4"),
                    css_class="col-md-2 mb-3",
                ),
            )
        )

    def clean_program(self) -> Program | None:
        program = self.cleaned_data.get("program") or self.newest_program
        if program is None:
            raise forms.ValidationError(_("No program is open at the moment."), code="no_open_program")
        return program
