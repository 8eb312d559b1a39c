"""Forms of the portal: reservations, participants, on-site requests and rosters, trainers' work
plans and attendance sheets (crispy-forms, Bootstrap 5).

The forms only shape input: every rule (quota, seats, unique e-mail, kimlik no checksum) is
decided by ``sessions.services``; a ``RuleViolation`` comes back onto the form through
``kamusm_portal.errors.add_rule_error``.
"""

from __future__ import annotations

from collections.abc import Sequence

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Column, Div, Layout, Row
from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from entitlements.models import Province, Unit
from kamusm_portal.db import TurkishCollate
from sessions.models import Audience, Course, Participant


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


def _model_field(name: str) -> forms.Field:
    return Participant._meta.get_field(name).formfield()


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


# --- On-site training: requests, rosters, work plans, attendance ------------------------------

DATE_INPUT = "%d.%m.%Y"
DATETIME_INPUT = "%d.%m.%Y %H:%M"
# The dotted forms people type, whatever the page's language (the English locale's own datetime
# formats do not include them), then what a datetime-local or ISO input sends.
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"]


def _inline_helper(layout: Layout) -> FormHelper:
    """A helper for a form rendered inside a larger ``<form>`` (no tag, one CSRF token outside)."""
    helper = FormHelper()
    helper.form_tag = False
    helper.disable_csrf = True
    helper.layout = layout
    return helper


class TrainingRequestForm(forms.Form):
    """Where and for how many people; the courses and the date windows are formsets beside it."""

    province = forms.ModelChoiceField(
        label=_("Province"),
        queryset=Province.objects.none(),
        help_text=_("Where the training should be held: any of the 81 provinces."),
    )
    expected_participants = forms.IntegerField(
        label=_("Expected participants"),
        min_value=1,
        max_value=10_000,
        help_text=_("The room the institution provides: the roster of each session is limited to it."),
    )
    notes = forms.CharField(label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["province"].queryset = Province.objects.order_by(TurkishCollate("name"))
        self.fields["province"].label_from_instance = lambda province: province.name
        self.helper = _inline_helper(
            Layout(
                Row(
                    Column("province", css_class="col-md-6"),
                    Column("expected_participants", css_class="col-md-6"),
                ),
                "notes",
            )
        )


def course_choices(courses: Sequence[Course]) -> list:
    """Courses grouped by audience, each labelled with its code, title and own hours."""
    groups = []
    for audience, label in Audience.choices:
        options = [
            (
                course.pk,
                _("%(code)s · %(title)s (%(hours)s h)")
                % {"code": course.code, "title": course.title, "hours": course.hours},
            )
            for course in courses
            if course.audience == audience
        ]
        if options:
            groups.append((label, options))
    return [("", "---------"), *groups]


class TrainingRequestItemForm(forms.Form):
    """One course of the request and the hours wanted for it."""

    course = forms.TypedChoiceField(label=_("Course"), coerce=int)
    hours = forms.IntegerField(label=_("Hours wanted"), min_value=1, max_value=999)

    def __init__(self, *args, courses: Sequence[Course], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.courses = {course.pk: course for course in courses}
        self.fields["course"].choices = course_choices(courses)
        self.fields["course"].widget.attrs["data-course-picker"] = ""
        self.fields["hours"].widget.attrs["data-hours"] = ""
        self.helper = _inline_helper(
            Layout(Row(Column("course", css_class="col-md-9"), Column("hours", css_class="col-md-3")))
        )

    def clean_course(self) -> Course:
        return self.courses[self.cleaned_data["course"]]


class BaseItemFormSet(forms.BaseFormSet):
    def items(self) -> list[dict]:
        """The filled lines, in the order shown, as the service takes them."""
        return [
            {"course": form.cleaned_data["course"], "hours": form.cleaned_data["hours"]}
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]

    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.cleaned_data]


TrainingRequestItemFormSet = forms.formset_factory(
    TrainingRequestItemForm,
    formset=BaseItemFormSet,
    extra=1,
    min_num=1,
    validate_min=True,
    max_num=10,
    validate_max=True,
)


def _date_widget() -> forms.DateInput:
    return forms.DateInput(
        format=DATE_INPUT, attrs={"placeholder": _("dd.mm.yyyy"), "inputmode": "numeric", "autocomplete": "off"}
    )


class DateWindowForm(forms.Form):
    """A preferred window, from one day to another (both included); an empty line is no window."""

    starts = forms.DateField(label=_("From"), required=False, widget=_date_widget())
    ends = forms.DateField(label=_("To"), required=False, widget=_date_widget())

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.helper = _inline_helper(
            Layout(Row(Column("starts", css_class="col-6"), Column("ends", css_class="col-6")))
        )

    def clean(self) -> dict:
        data = super().clean()
        starts, ends = data.get("starts"), data.get("ends")
        if starts and not ends and "ends" not in self.errors:
            self.add_error("ends", _("Give the last day of the window too."))
        if ends and not starts and "starts" not in self.errors:
            self.add_error("starts", _("Give the first day of the window too."))
        return data


class BaseWindowFormSet(forms.BaseFormSet):
    def windows(self) -> list[dict]:
        """The filled windows as ``{"from", "to"}``, as the service takes them."""
        return [{"from": form.cleaned_data["starts"], "to": form.cleaned_data["ends"]} for form in self.filled_forms()]

    def filled_forms(self) -> list[forms.Form]:
        return [form for form in self.forms if form.cleaned_data.get("starts") and form.cleaned_data.get("ends")]


DateWindowFormSet = forms.formset_factory(
    DateWindowForm, formset=BaseWindowFormSet, extra=2, max_num=6, validate_max=True
)


class EnrolmentForm(ReservationForm):
    """Tick participants of the institution to put on an on-site session's roster."""

    def __init__(self, *args, participants: Sequence[Participant], **kwargs) -> None:
        super().__init__(*args, participants=participants, **kwargs)
        self.helper.form_id = "enrolment-form"
        self.helper.layout = Layout(
            "participants",
            StrictButton(_("Enrol"), type="submit", css_class="btn-primary"),
        )


class UnavailabilityForm(forms.Form):
    """A block of the trainer's time that cannot be booked."""

    starts_at = forms.DateTimeField(label=_("From"), input_formats=DATETIME_INPUT_FORMATS)
    ends_at = forms.DateTimeField(label=_("To"), input_formats=DATETIME_INPUT_FORMATS)
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
