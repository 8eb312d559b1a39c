"""The on-site training request: where and for how many people, the courses with their hours,
and the preferred date windows."""

from __future__ import annotations

from collections.abc import Sequence

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from entitlements.models import Province
from kamusm_portal.db import TurkishCollate
from sessions.models import Audience, Course

DATE_INPUT = "%d.%m.%Y"


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
    # Not Django's "Please submit at least 1 form.": say what to fill.
    default_error_messages = {
        **forms.BaseFormSet.default_error_messages,
        "too_few_forms": _("Choose at least one course and the hours you want for it."),
    }

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
    """A preferred window, from one day to another (both included); an empty line is no window.
    Labelled in the domain's words: the earliest and the latest day that would suit."""

    starts = forms.DateField(label=_("Earliest"), required=False, widget=_date_widget())
    ends = forms.DateField(label=_("Latest"), required=False, widget=_date_widget())

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
