"""The one domain exception and the registry of rule codes (docs/api.md, "Errors").

Every refusal carries a stable lower_snake_case ``code`` from ``Code``: one code per distinct rule,
with the HTTP status the API answers it with and what it means. ``invalid`` is for input that is
missing or malformed; a broken rule has a code of its own. The API turns a ``RuleViolation`` into
its error body (``kamusm_portal.api.exception_handler``), a page puts it on its form
(``add_rule_error``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from django.forms import BaseForm


class Code(StrEnum):
    """The rule codes, each with its HTTP status and its meaning."""

    status: int
    meaning: str

    # Enum calls ``__new__`` with a member's three values while it builds the class; afterwards
    # ``Code(value)`` looks a member up by its value alone. Both calls are typed: mypy reads the
    # class's call signature from ``__new__``.
    @overload
    def __new__(cls, value: str) -> Code: ...
    @overload
    def __new__(cls, value: str, status: int, meaning: str) -> Code: ...
    def __new__(cls, value: str, status: int | None = None, meaning: str | None = None) -> Code:
        if status is None or meaning is None:
            raise TypeError(f"The rule code {value!r} needs its HTTP status and its meaning.")
        code = str.__new__(cls, value)
        code._value_ = value
        code.status = status
        code.meaning = meaning
        return code

    # Input
    INVALID = "invalid", 400, "A field is missing or malformed; `fields` names it and says why."
    INVALID_KIMLIK_NO = "invalid_kimlik_no", 400, "A T.C. kimlik no fails its checksum."
    # Programs, bands and entitlements
    NO_CATEGORY = "no_category", 404, "The calculator's user count is in no band (0, or above the last band)."
    CATEGORY_TABLE_INVALID = "category_table_invalid", 400, "A program's bands overlap, leave a gap or are malformed."
    PROGRAM_CLOSED = "program_closed", 400, "Acting on a program that is not open."
    NOT_ENTITLED = (
        "not_entitled",
        400,
        (
            "The institution's band does not give this kind of training (classroom seats for categories 1-5, "
            "on-site hours for Standard), or it has no band."
        ),
    )
    # Institutions, accounts and participants
    ONE_CENTRAL_UNIT = "one_central_unit", 400, "An institution has exactly one central (merkez) unit."
    DUPLICATE_INSTITUTION_CODE = "duplicate_institution_code", 400, "Another institution has this code."
    USERNAME_TAKEN = "username_taken", 400, "Another account has this username."
    DUPLICATE_EMAIL = "duplicate_email", 400, "Another participant of the institution has this e-mail."
    DUPLICATE_KIMLIK_NO = "duplicate_kimlik_no", 400, "Another participant of the institution has this kimlik no."
    PARTICIPANT_REMOVED = (
        "participant_removed",
        400,
        ("The participant was removed (anonymised): they can no longer change, apply or be enrolled."),
    )
    PARTICIPANT_IN_USE = "participant_in_use", 400, "Deleting a participant who holds live reservations or enrolments."
    OTHER_INSTITUTION = (
        "other_institution",
        400,
        ("The participants of one application or roster belong to the session's (or one) institution."),
    )
    # Sessions
    NOTICE_PERIOD = (
        "notice_period",
        400,
        ("Announcing, or moving the start of, a classroom session less than the program's notice days ahead."),
    )
    SESSION_NOT_DRAFT = "session_not_draft", 400, "Only a draft session can be announced."
    SESSION_CLOSED = "session_closed", 400, "The session is cancelled or completed: it can no longer change."
    SESSION_STARTED = "session_started", 400, "The session has started: it can no longer be changed or cancelled."
    WRONG_SESSION_KIND = (
        "wrong_session_kind",
        400,
        (
            "The action is for the other kind of session (editing an on-site session as a classroom one, "
            "enrolling people on a classroom session)."
        ),
    )
    TRAINER_INACTIVE = "trainer_inactive", 400, "The trainer (or their account) is not active."
    TRAINER_CONFLICT = "trainer_conflict", 400, "The trainer is already booked, or unavailable, in that time."
    # Reservations
    SESSION_NOT_OPEN = (
        "session_not_open",
        400,
        ("Reserving on, or cancelling a reservation of, a session that is not announced, is cancelled or has started."),
    )
    INSTITUTION_QUOTA = (
        "institution_quota",
        400,
        (
            "The application would take the institution past its quota of live classroom reservations; "
            "refused whole, `fields.remaining` says how many remain."
        ),
    )
    DUPLICATE_PARTICIPANT = (
        "duplicate_participant",
        400,
        (
            "The participant already holds a live reservation on that session, or a live classroom seat on another "
            "session of the same program (the six are six people), or is given twice."
        ),
    )
    RESERVATION_NOT_LIVE = "reservation_not_live", 400, "The reservation is already cancelled or expired."
    # On-site training
    HOURS_EXCEEDED = (
        "hours_exceeded",
        400,
        (
            "A request or a scheduling would take an institution past its hours, or an item past its own; "
            "`fields` carries the figures."
        ),
    )
    REQUEST_NOT_OPEN = "request_not_open", 400, "The request is no longer submitted (scheduled, rejected or cancelled)."
    REQUEST_HAS_SESSIONS = (
        "request_has_sessions",
        400,
        ("A session of the request is scheduled: the official can no longer withdraw it."),
    )
    # Rosters, attendance and certificates
    ROSTER_FULL = (
        "roster_full",
        400,
        ("Enrolling more people than the on-site session's capacity; `fields.remaining` says how many fit."),
    )
    ROSTER_CLOSED = "roster_closed", 400, "The roster of a session that is not announced cannot change."
    ATTENDANCE_RECORDED = (
        "attendance_recorded",
        400,
        ("Attendance is recorded: the session can no longer be cancelled, nor that person taken off its roster."),
    )
    ATTENDANCE_NOT_ALLOWED = (
        "attendance_not_allowed",
        400,
        ("Attendance recorded before the session ends, on a cancelled session, or for someone not on the roster."),
    )
    CERTIFICATE_REVOKED = (
        "certificate_revoked",
        400,
        ("The certificate is revoked: it is not revoked again, rendered or handed out as a PDF."),
    )
    NOT_READY = "not_ready", 409, "The certificate's PDF is still being made (`Retry-After` says when to ask again)."
    # Access and protocol (answered by the API's exception handler)
    NOT_AUTHENTICATED = "not_authenticated", 401, "Not logged in, or the token is wrong."
    OTP_REQUIRED = (
        "otp_required",
        400,
        (
            "A staff user's token asked for without a valid second-factor code (`otp`) where staff must sign in "
            "with one."
        ),
    )
    PERMISSION_DENIED = "permission_denied", 403, "Logged in, on a visible object, but the role may not do this."
    NOT_FOUND = "not_found", 404, "No such object or path, or one the caller may not see."
    METHOD_NOT_ALLOWED = "method_not_allowed", 405, "The path does not take this HTTP method."
    NOT_ACCEPTABLE = "not_acceptable", 406, "The `Accept` header asks for a format the endpoint does not give."
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type", 415, "The body is not JSON (or the format the endpoint reads)."
    THROTTLED = "throttled", 429, "Too many requests (the public verification); `Retry-After` says when to come back."
    LOCKED_OUT = (
        "locked_out",
        429,
        (
            "Too many failed logins for that username from that address, whatever the password now; "
            "`Retry-After` says when the lock-out ends."
        ),
    )
    ERROR = "error", 500, "Anything else: a fault of the server, never a rule."


class RuleViolation(Exception):
    """A rule of the domain refused a write or a read.

    ``code`` is a ``Code`` (a plain string is looked up in it: an unknown code is a programming
    error), ``message`` a sentence in the active language, ``fields`` per-field messages (and, for
    some codes, the figures a client reads, e.g. ``fields.remaining``), ``status`` the HTTP status
    the API answers with: the code's own unless given.
    """

    def __init__(
        self,
        code: Code | str,
        message: str,
        *,
        fields: dict[str, Any] | None = None,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.code = Code(code)
        self.message = str(message)
        self.fields = fields or {}
        self.status = status if status is not None else self.code.status

    def __str__(self) -> str:
        return self.message


def add_rule_error(form: BaseForm, exc: RuleViolation) -> None:
    """Put a rule violation on a Django form: on its fields where it names them, else on the form."""
    placed = False
    for name, errors in exc.fields.items():
        if name in form.fields:
            for error in errors if isinstance(errors, list | tuple) else [errors]:
                form.add_error(name, str(error))
            placed = True
    if not placed:
        form.add_error(None, exc.message)
