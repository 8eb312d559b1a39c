"""Reads of the sessions app, already joined and counted, one module per subject (the same subjects
as ``sessions.services``): ``catalog``, ``participants``, ``classroom``, ``onsite``, ``trainers``,
``attendance``, and ``usage`` (an institution's right and what it has used of it).

Every list runs a fixed number of queries whatever its length; nothing here writes. Callers import
from here: ``from sessions.selectors import session_list``.
"""

from sessions.selectors.attendance import attendance_sheet, onsite_roster
from sessions.selectors.catalog import course_list, materials_visible
from sessions.selectors.classroom import (
    reservation_list,
    reservations_visible,
    session_list,
    session_open_for_reservations,
    session_roster,
    sessions_visible,
    waitlist_positions,
    with_seat_counts,
)
from sessions.selectors.onsite import items_with_scheduled_hours, proposal_input, request_list, requests_visible
from sessions.selectors.participants import participant_list, participants_visible
from sessions.selectors.trainers import trainer_list, trainer_of, trainer_work_plan
from sessions.selectors.usage import Usage, program_usage, usage_for, usage_of

__all__ = [
    "Usage",
    "attendance_sheet",
    "course_list",
    "items_with_scheduled_hours",
    "materials_visible",
    "onsite_roster",
    "participant_list",
    "participants_visible",
    "program_usage",
    "proposal_input",
    "request_list",
    "requests_visible",
    "reservation_list",
    "reservations_visible",
    "session_list",
    "session_open_for_reservations",
    "session_roster",
    "sessions_visible",
    "trainer_list",
    "trainer_of",
    "trainer_work_plan",
    "usage_for",
    "usage_of",
    "waitlist_positions",
    "with_seat_counts",
]
