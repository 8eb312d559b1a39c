"""Enrolling participants on an on-site session's roster (attendance sheets are the certificates
app's)."""

from __future__ import annotations

from collections.abc import Sequence

from crispy_forms.bootstrap import StrictButton
from crispy_forms.layout import Layout
from django.utils.translation import gettext_lazy as _

from sessions.forms.classroom import ReservationForm
from sessions.models import Participant


class EnrolmentForm(ReservationForm):
    """Tick participants of the institution to put on an on-site session's roster."""

    def __init__(self, *args, participants: Sequence[Participant], **kwargs) -> None:
        super().__init__(*args, participants=participants, **kwargs)
        self.helper.form_id = "enrolment-form"
        self.helper.layout = Layout(
            "participants",
            StrictButton(_("Enrol"), type="submit", css_class="btn-primary"),
        )
