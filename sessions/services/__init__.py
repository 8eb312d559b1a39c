"""Every write and business rule of the sessions app, one module per room:

- ``participants``: the people officials nominate (both kinds of training);
- ``classroom``: sessions (classroom; cancelling either kind), reservations and waiting lists;
- ``trainers``: trainers and their work plan (unavailability, conflicts);
- ``onsite``: on-site training requests, their hours, scheduling and cancelling sessions;
- ``attendance``: rosters and attendance of both kinds of session;
- ``usage``: usage above the right, stored on the entitlement and e-mailed once.

Callers import from here: ``from sessions.services import reservation_create``.
"""

from sessions.services.attendance import (
    attendance_marks_record,
    enrolment_create,
    enrolment_delete,
    enrolment_removable,
    may_record_attendance,
    roster_open,
)
from sessions.services.classroom import (
    reservation_cancel,
    reservation_cancellable,
    reservation_create,
    seat_held_reason,
    session_announce,
    session_cancel,
    session_create,
    session_update,
    waitlists_expire,
)
from sessions.services.onsite import (
    onsite_session_cancel,
    onsite_session_schedule,
    training_request_cancel,
    training_request_cancellable,
    training_request_create,
    training_request_reject,
)
from sessions.services.participants import (
    participant_create,
    participant_delete,
    participant_update,
)
from sessions.services.trainers import (
    TRAINERS_GROUP,
    trainer_calendar_link_renew,
    trainer_conflict_check,
    trainer_create,
    trainer_lock,
    trainer_update,
    unavailability_check,
    unavailability_create,
    unavailability_delete,
)
from sessions.services.usage import entitlement_usage_notify, entitlements_usage_check

__all__ = [
    "TRAINERS_GROUP",
    "attendance_marks_record",
    "enrolment_create",
    "enrolment_delete",
    "enrolment_removable",
    "entitlement_usage_notify",
    "entitlements_usage_check",
    "may_record_attendance",
    "onsite_session_cancel",
    "onsite_session_schedule",
    "participant_create",
    "participant_delete",
    "participant_update",
    "reservation_cancel",
    "reservation_cancellable",
    "reservation_create",
    "roster_open",
    "seat_held_reason",
    "session_announce",
    "session_cancel",
    "session_create",
    "session_update",
    "trainer_calendar_link_renew",
    "trainer_conflict_check",
    "trainer_create",
    "trainer_lock",
    "trainer_update",
    "training_request_cancel",
    "training_request_cancellable",
    "training_request_create",
    "training_request_reject",
    "unavailability_check",
    "unavailability_create",
    "unavailability_delete",
    "waitlists_expire",
]
