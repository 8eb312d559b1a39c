"""The whole portal, filled once, for the page-by-page browser checks (test_every_page_browser.py).

Visiting some forty pages in one test each, each on its own transactional test database, would
rebuild the migrations' data forty times; instead ``live_portal`` migrates one SQLite file (as
tests/sessions/live.py does for the races), fills it through the factories and services with what
every page needs (``build``: a Standard institution's official, a category 3 institution's
official with requests, an on-site session and certificates, the refused states (a Standard
institution whose quota is used up, a category 1 institution with no hours left), a trainer,
staff, a user with no role), and serves it, static files included, from a live server of its own. The suite's test
database is left alone; on PostgreSQL too the portal is served from a SQLite file (``PORTAL_SQLITE``).

``PAGES`` names every page of the portal a person reaches in a browser (kamusm_portal/urls.py and
the apps' URLconfs): who looks at it (``role``: ``None`` for anyone) and its path, where ``{key}``
is a value ``build`` answers (a row's id, a code)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from unittest import mock

from django.contrib.auth.tokens import default_token_generator
from django.contrib.staticfiles.handlers import StaticFilesHandler
from django.test import override_settings
from django.test.testcases import LiveServerThread
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.plugins.otp_totp.models import TOTPDevice

from certificates import tasks
from certificates.models import Certificate
from certificates.services import attendance_record
from sessions.models import Course, Reservation
from sessions.services import enrolment_create, reservation_create, unavailability_create
from tests.certificates.factories import make_ready, onsite_finished
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory, official_of
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    submitted_request,
    video_material,
)
from tests.sessions.live import file_database, in_thread
from tests.timing import at

PASSWORD = "secret-pass-123"  # the factories' password


@dataclass(frozen=True)
class Page:
    name: str  # the test's id
    role: str | None  # whose browser: a key of ``ROLES``, or None (not logged in)
    path: str  # with ``{key}``s of what ``build`` answers
    status: int = 200  # what the page answers (a certificate not found is a 404 page)
    lands: str | None = None  # where the browser ends up, when the page redirects (else ``path``)
    shows: tuple[str, ...] = ()  # selectors of the state the page is listed for: each must be on it
    hides: tuple[str, ...] = ()  # selectors that state leaves out (a form that cannot succeed)


# Who logs in: the usernames ``build`` gives them (all with the factories' ``PASSWORD``).
ROLES = {
    "classroom": "standard.official",  # an official of a Standard institution (classroom seats)
    "onsite": "onsite.official",  # an official of a category 3 institution (on-site hours)
    "classroom_full": "standard.full",  # an official of a Standard institution whose quota is used up
    "onsite_no_hours": "onsite.nohours",  # an official of a category 1 institution with no hours left
    "trainer": "trainer",  # a trainer (staff, not programme staff)
    "norole": "norole",  # a user who is no institution's official
}

PAGES = [
    # Anyone: the landing page, login and password reset, the calculator, the certificate check.
    Page("home", None, "/"),
    Page("login", None, "/accounts/login/"),
    Page("password-reset", None, "/accounts/password_reset/"),
    Page("password-reset-sent", None, "/accounts/password_reset/done/"),
    Page(
        "password-reset-new-password",
        None,
        "/accounts/reset/{reset_uid}/{reset_token}/",
        lands="/accounts/reset/{reset_uid}/set-password/",  # Django hides the token from the page's URL
    ),
    Page("password-reset-bad-link", None, "/accounts/reset/{reset_uid}/set-password-expired/"),
    Page("password-reset-complete", None, "/accounts/reset/done/"),
    Page("calculator", None, "/calculator/"),
    Page("calculator-result", None, "/calculator/?active_users=1500"),
    Page("verify", None, "/verify/"),
    Page("verify-result", None, "/verify/{certificate_code}/"),
    Page("verify-not-found", None, "/verify/KSM2012000001/", status=404),
    Page("verify-serial-typed", None, "/verify/?code=KSM-2012-000001", shows=("[data-testid=serial-typed]",)),
    # An official of a Standard institution (classroom seats).
    Page("classroom-dashboard", "classroom", "/dashboard/"),
    Page("classroom-institution", "classroom", "/institutions/{classroom_institution}/"),
    Page("classroom-catalog", "classroom", "/catalog/"),
    Page("classroom-sessions", "classroom", "/sessions/"),
    Page("classroom-reserve", "classroom", "/sessions/{session}/reserve/"),
    Page("classroom-reservations", "classroom", "/reservations/"),
    Page("classroom-reservation-cancel", "classroom", "/reservations/{reservation}/cancel/"),
    Page("classroom-participants", "classroom", "/participants/"),
    Page("classroom-participant-add", "classroom", "/participants/add/"),
    Page("classroom-participant-edit", "classroom", "/participants/{participant}/edit/"),
    Page("classroom-participant-delete", "classroom", "/participants/{participant}/delete/"),
    Page("classroom-certificates", "classroom", "/certificates/"),
    Page("classroom-requests", "classroom", "/requests/"),
    Page("classroom-request-new", "classroom", "/requests/new/"),  # "your right is classroom seats"
    Page("classroom-onsite-sessions", "classroom", "/onsite/"),
    # An official of a Standard institution whose quota is used up: nothing to reserve, and why.
    Page(
        "classroom-full-sessions",
        "classroom_full",
        "/sessions/",
        shows=("[data-testid=quota-used]", "button[data-testid^=reserve-disabled-][disabled]"),
        hides=("a[href$='/reserve/']",),
    ),
    Page(
        "classroom-full-reserve",
        "classroom_full",
        "/sessions/{session}/reserve/",
        shows=("[data-testid=quota-used]",),
        hides=("#reservation-form",),
    ),
    Page("classroom-full-reservations", "classroom_full", "/reservations/"),
    Page(
        "classroom-full-waiting-cancel",
        "classroom_full",
        "/reservations/{waiting_reservation}/cancel/",
        shows=("[data-testid=status]:has-text('sıra:')", "[data-testid=cancel-question]"),
    ),
    # An official of a category 1 institution whose hours are all held: no request form, and why.
    Page("onsite-no-hours-requests", "onsite_no_hours", "/requests/", shows=("[data-testid=no-hours-left]",)),
    Page(
        "onsite-no-hours-request-new",
        "onsite_no_hours",
        "/requests/new/",
        shows=("[data-testid=no-hours-left]",),
        hides=("#request-form",),
    ),
    # An official of a category 3 institution (on-site hours).
    Page("onsite-dashboard", "onsite", "/dashboard/"),
    Page("onsite-institution", "onsite", "/institutions/{onsite_institution}/"),
    Page("onsite-sessions", "onsite", "/sessions/"),
    Page("onsite-participants", "onsite", "/participants/"),
    Page("onsite-certificates", "onsite", "/certificates/"),
    Page("onsite-requests", "onsite", "/requests/"),
    Page("onsite-request-new", "onsite", "/requests/new/"),
    Page("onsite-onsite-sessions", "onsite", "/onsite/"),
    Page("onsite-onsite-session", "onsite", "/onsite/{onsite_session}/"),
    Page("onsite-onsite-session-past", "onsite", "/onsite/{finished_session}/"),
    # A trainer: the work plan, the attendance sheets (after the session, and before its end).
    Page("trainer-schedule", "trainer", "/trainers/schedule/"),
    Page("trainer-catalog", "trainer", "/catalog/"),
    Page("trainer-attendance", "trainer", "/sessions/{finished_session}/attendance/"),
    Page("trainer-attendance-upcoming", "trainer", "/sessions/{onsite_session}/attendance/"),
    # A user who is no institution's official.
    Page("no-institution", "norole", "/dashboard/"),
]

# Pages also checked in English (the language cookie), one of each kind of user.
ENGLISH = [
    "home",
    "verify-result",
    "classroom-dashboard",
    "classroom-reserve",
    "onsite-request-new",
    "trainer-schedule",
]


def build() -> dict[str, object]:
    """Everything the pages show, made through the factories and services (in the calling thread's
    connection); answers the ``{key}``s of ``PAGES``."""
    # A Standard institution: 50 users, 6 seats; three people, two of them on a session's seats.
    classroom = standard_institution(name="Iğdır İl Sağlık Müdürlüğü")
    official_of_classroom = official_of(classroom)
    official_of_classroom.username, official_of_classroom.first_name = ROLES["classroom"], "İlkay"
    official_of_classroom.save()
    people = [
        ParticipantFactory(institution=classroom, first_name=first, last_name=last)
        for first, last in [("İsmail", "Işıkgöz"), ("Şükriye", "Ağaoğlu"), ("Ilgın", "Doğruöz")]
    ]
    session = SessionFactory(starts_at=at(30, 9, 30), ends_at=at(30, 13, 30))
    small_session = SessionFactory(starts_at=at(45, 9, 30), ends_at=at(45, 13, 30), capacity=2)
    reservation_create(session=session, participants=people[:2])
    reservation = Reservation.objects.filter(session=session).order_by("pk").first()
    assert reservation is not None
    video_material(Course.objects.get(code="EIMZA-101"))
    reset_user = official_of(classroom)  # never logs in: its reset link stays valid

    # A second Standard institution whose quota (6 live reservations) is used up: two seats on the
    # session of two seats, four places on its waiting list.
    full = standard_institution(name="Şırnak İl Müdürlüğü")
    official_of_full = official_of(full)
    official_of_full.username = ROLES["classroom_full"]
    official_of_full.save()
    applied = reservation_create(
        session=small_session,
        participants=[
            ParticipantFactory(institution=full, first_name="Çiğdem", last_name=f"Öztürk {n}") for n in range(6)
        ],
    )
    waiting = applied[-1]

    # A category 3 institution: 20,000 users, 16 hours; a finished session with certificates (one
    # ready, one pending), an upcoming one with the same two people, an open request: 2 hours left.
    with mock.patch.object(tasks.render_certificates, "apply_async"):
        onsite = onsite_institution(users=20_000, name="Iğdır Valiliği Şişli Ilıca Öğretmenevi")
        official_of_onsite = official_of(onsite)
        official_of_onsite.username, official_of_onsite.first_name = ROLES["onsite"], "Şükrü"
        official_of_onsite.save()
        trainer = TrainerFactory(user__username=ROLES["trainer"])
        finished, attendees = onsite_finished(2, institution=onsite, first_name="Işıl İnci", last_name="Güneş")
        finished.trainer = trainer
        finished.save(update_fields=["trainer"])
        attendance_record(session=finished, marks=[(attendees[0], "full"), (attendees[1], "partial")])
        certificate = make_ready(Certificate.objects.get(participant=attendees[0]))
        upcoming = onsite_session(submitted_request(onsite, {"EIMZA-101": 4}), trainer, starts_at=at(20, 9), hours=4)
        enrolment_create(session=upcoming, participants=attendees)
        submitted_request(onsite, {"EIMZA-202": 2}, expected=12)
    unavailability_create(trainer=trainer, starts_at=at(40, 9), ends_at=at(40, 9) + timedelta(hours=8), reason="İzin")

    # A category 1 institution (8 hours) whose open request holds all 8.
    no_hours = onsite_institution(users=500, name="Ağrı İl Özel İdaresi")
    official_of_no_hours = official_of(no_hours)
    official_of_no_hours.username = ROLES["onsite_no_hours"]
    official_of_no_hours.save()
    submitted_request(no_hours, {"EIMZA-101": 8})

    UserFactory(username=ROLES["norole"])
    ProgrammeStaffFactory(username="staff.enrolling")  # the second factor: enrols at login
    enrolled = ProgrammeStaffFactory(username="staff.enrolled")  # proves a code at login
    TOTPDevice.objects.create(user=enrolled, name="authenticator", confirmed=True)

    return {
        "classroom_institution": classroom.pk,
        "onsite_institution": onsite.pk,
        "session": session.pk,
        "participant": people[2].pk,
        "reservation": reservation.pk,
        "waiting_reservation": waiting.pk,
        "onsite_session": upcoming.pk,
        "finished_session": finished.pk,
        "certificate_code": certificate.code_display,
        "reset_uid": urlsafe_base64_encode(force_bytes(reset_user.pk)),
        "reset_token": default_token_generator.make_token(reset_user),
    }


@dataclass
class LivePortal:
    url: str
    keys: dict[str, object]

    def path(self, page: Page) -> str:
        return self.url + page.path.format(**self.keys)

    def landing(self, page: Page) -> str:
        return self.url + (page.lands or page.path).format(**self.keys)


# Whatever the suite's database (on PostgreSQL too: the pages are the same on both, and these
# checks are about what people see), the portal is served from a SQLite file with its own settings.
PORTAL_SQLITE = {
    "ENGINE": "django.db.backends.sqlite3",
    "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 20, "init_command": "PRAGMA journal_mode=WAL;"},
    "CONN_MAX_AGE": 0,
    "CONN_HEALTH_CHECKS": False,
}


@contextmanager
def live_portal(folder: Path) -> Iterator[LivePortal]:
    """A live server over a migrated SQLite file in ``folder``, filled by ``build``, with the test
    settings of tests/conftest.py (function-scoped there, so repeated here for the whole module)."""
    with (
        override_settings(
            PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
            EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
            CELERY_TASK_ALWAYS_EAGER=True,
            AXES_ENABLED=False,
            STAFF_OTP_REQUIRED=False,
            LANGUAGE_CODE="tr",
            ALLOWED_HOSTS=["127.0.0.1", "localhost", "testserver"],
            SECURE_SSL_REDIRECT=False,
            DEBUG_PROPAGATE_EXCEPTIONS=False,
            MEDIA_ROOT=str(folder / "media"),
        ),
        file_database(folder / "portal.sqlite3", **PORTAL_SQLITE),
    ):
        keys = in_thread(build)
        server = LiveServerThread("127.0.0.1", StaticFilesHandler)  # static files too, as live_server
        server.daemon = True
        server.start()
        server.is_ready.wait()
        if server.error:
            raise server.error
        try:
            yield LivePortal(f"http://127.0.0.1:{server.port}", keys)
        finally:
            server.terminate()
