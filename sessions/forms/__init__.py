"""Forms of the portal (crispy-forms, Bootstrap 5), one module per subject, the same subjects as
``sessions.services``:

- ``participants``: a participant's details;
- ``classroom``: applying for classroom seats;
- ``onsite``: an on-site training request, its courses and its date windows;
- ``attendance``: enrolling participants on an on-site session's roster;
- ``trainers``: a block of a trainer's unavailability.

The forms only shape input: every rule (quota, seats, unique e-mail, kimlik no checksum) is
decided by ``sessions.services``; a ``RuleViolation`` comes back onto the form through
``kamusm_portal.errors.add_rule_error``. Callers import the forms from their module:
``from sessions.forms.classroom import ReservationForm``.
"""
