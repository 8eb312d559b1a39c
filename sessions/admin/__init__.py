"""The centre's screens of the sessions app, one module per subject, the same subjects as
``sessions.services``:

- ``catalog``: the courses with their materials, and the venues;
- ``participants``: the people institutions nominate;
- ``classroom``: sessions (both kinds) and the reservations of classroom seats;
- ``onsite``: on-site training requests, scheduling them and the schedule proposal;
- ``trainers``: trainers, their work plans and the trainers' calendar;
- ``attendance``: the rosters and attendance of sessions, read-only;
- ``shared``: the work-plan admin, the account-manager test and the trainer filter they use.

Announcing, cancelling, scheduling, rejecting, every change of seats, hours or a trainer's work
plan go through ``sessions.services``; lists read through ``sessions.selectors``.

Who sees what (the admin site's row scope, ``kamusm_portal.admin.ScopedAdmin``, from each admin's
``institution_path`` / ``trainer_path`` / ``reference_data``): programme staff everything; an
account manager (a staff user without the programme-staff permission) the training requests of
the institutions assigned to them, and of the other lists their permissions open (participants,
reservations, rosters, attendance, on-site sessions) their institutions' rows only, never a
trainer's or a classroom session's; a trainer (a staff user in the "Trainers" group) their own
trainer row, unavailability, sessions, rosters and attendance.

Importing this package (the admin's autodiscovery does) registers every screen.
"""

from sessions.admin import attendance, catalog, classroom, onsite, participants, shared, trainers

__all__ = ["attendance", "catalog", "classroom", "onsite", "participants", "shared", "trainers"]
