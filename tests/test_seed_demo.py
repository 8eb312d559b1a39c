"""`seed_demo`: the demo data that `make run` loads, idempotent, with generated passwords kept in a file."""

import re
import stat
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Sum
from django.test import Client
from django.utils import timezone

from certificates.models import Certificate
from entitlements.models import (
    Entitlement,
    EntitlementFlag,
    Institution,
    InstitutionKind,
    Official,
    Unit,
    UnitLevel,
)
from kamusm_portal.roles import PROGRAMME_STAFF_GROUP
from kamusm_portal.validators import validate_email_address, validate_organisation_name, validate_person_name
from sessions.models import (
    Attendance,
    Enrolment,
    Participant,
    Reservation,
    Trainer,
    TrainingRequest,
    TrainingSession,
    Unavailability,
)

pytestmark = pytest.mark.django_db

LOGIN_LINE = re.compile(r"^\s+(admin|egitim|temsilci\d+|yetkili\d+|egitmen\d+)\s+([^\s(]\S*)\s+", re.MULTILINE)


def seed(logins_file) -> str:
    out = StringIO()
    call_command("seed_demo", logins_file=str(logins_file), force=True, stdout=out)
    return out.getvalue()


def counts() -> dict[str, int]:
    return {
        "institutions": Institution.objects.count(),
        "units": Unit.objects.count(),
        "users": get_user_model().objects.count(),
        "officials": Official.objects.count(),
        "entitlements": Entitlement.objects.count(),
    }


def printed_logins(output: str) -> dict[str, str]:
    return dict(LOGIN_LINE.findall(output))


def test_a_second_run_adds_nothing_and_prints_the_same_logins(tmp_path):
    logins_file = tmp_path / "demo-logins.json"
    first = seed(logins_file)
    after_first = counts()
    second = seed(logins_file)

    assert counts() == after_first
    assert printed_logins(first) == printed_logins(second)
    assert len(printed_logins(first)) == after_first["users"]


def test_the_demo_totals_the_letters_145000_active_users_over_every_reachable_band(tmp_path, program):
    seed(tmp_path / "logins.json")

    assert Unit.objects.aggregate(total=Sum("active_users"))["total"] == 145_000
    assert 35 <= Institution.objects.count() <= 45
    bands = set(Entitlement.objects.filter(program=program).values_list("category__code", flat=True))
    # Band 5 (100,001+) cannot sit beside band 4 (50,001+) within 145,000 users: the demo keeps the total.
    assert {"STANDARD", "1", "2", "3", "4"} <= bands
    no_users = Entitlement.objects.get(program=program, flag=EntitlementFlag.NO_USERS)
    assert no_users.category is None and no_users.total_active_users == 0


def test_every_institution_has_one_central_unit_and_units_lie_in_real_districts(tmp_path):
    seed(tmp_path / "logins.json")

    assert Unit.objects.filter(level=UnitLevel.MERKEZ).count() == Institution.objects.count()
    assert Unit.objects.filter(level=UnitLevel.IL).values("province").distinct().count() > 40
    district_units = Unit.objects.filter(level=UnitLevel.ILCE).select_related("district")
    assert district_units.count() > 100
    assert all(u.district.province_id == u.province_id for u in district_units)
    assert set(Institution.objects.values_list("kind", flat=True)) >= {
        InstitutionKind.MINISTRY,
        InstitutionKind.GENERAL_DIRECTORATE,
        InstitutionKind.PRESIDENCY,
        InstitutionKind.GOVERNORSHIP,
        InstitutionKind.MUNICIPALITY,
        InstitutionKind.UNIVERSITY,
    }
    assert len(set(Institution.objects.values_list("code", flat=True))) == Institution.objects.count()


def test_each_printed_password_logs_in_and_the_roles_are_set(tmp_path):
    logins = printed_logins(seed(tmp_path / "logins.json"))

    for username, password in logins.items():
        assert Client().login(username=username, password=password), username
    User = get_user_model()
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser
    staff = User.objects.get(username="egitim")
    assert staff.is_staff and staff.groups.filter(name=PROGRAMME_STAFF_GROUP).exists()
    assert Institution.objects.filter(account_manager__username="temsilci1").exists()
    officials = Official.objects.select_related("user", "institution")
    assert officials.count() >= 5
    assert len({o.institution_id for o in officials}) >= 4
    assert all(o.user.username.startswith("yetkili") for o in officials)


def test_the_logins_file_is_private_and_keeps_passwords_for_a_new_database(tmp_path):
    logins_file = tmp_path / "var" / "demo-logins.json"
    first = printed_logins(seed(logins_file))

    assert stat.S_IMODE(logins_file.stat().st_mode) == 0o600
    # The database is wiped (`rm var/portal.sqlite3`) but the file stays: the same logins come back.
    Certificate.objects.all().delete()
    Attendance.objects.all().delete()
    Reservation.objects.all().delete()
    Enrolment.objects.all().delete()
    TrainingSession.objects.all().delete()
    TrainingRequest.objects.all().delete()
    Unavailability.objects.all().delete()
    Trainer.objects.all().delete()
    Participant.objects.all().delete()
    Institution.objects.all().delete()
    get_user_model().objects.all().delete()
    second = printed_logins(seed(logins_file))
    assert second == first
    for username, password in second.items():
        assert Client().login(username=username, password=password), username


def test_an_account_made_before_is_left_alone(tmp_path):
    User = get_user_model()
    User.objects.create_superuser("admin", "admin@example.gov.tr", "my-own-chosen-password-1")

    output = seed(tmp_path / "logins.json")

    assert "admin" not in printed_logins(output)
    assert "password unchanged" in output
    assert User.objects.get(username="admin").check_password("my-own-chosen-password-1")


def test_it_refuses_to_run_with_debug_off_unless_forced(tmp_path, settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG"):
        call_command("seed_demo", logins_file=str(tmp_path / "logins.json"), stdout=StringIO())
    assert not Institution.objects.exists()


def test_demo_has_participants_and_announced_classroom_sessions(tmp_path):
    seed(tmp_path / "logins.json")
    seed(tmp_path / "logins.json")
    assert Participant.objects.count() == 17
    assert TrainingSession.objects.filter(kind="classroom", status="announced").count() == 4
    assert TrainingSession.objects.filter(kind="classroom").count() == 5


def test_demo_names_and_emails_follow_the_rules_of_any_input(tmp_path):
    """The e-mails' part before @ is ASCII (``İsmail Ağaoğlu`` → ``ismail.agaoglu@``), as browsers,
    the schema's ``format: email`` and the server agree."""
    seed(tmp_path / "logins.json")
    emails = [
        *Participant.objects.exclude(email="").values_list("email", flat=True),
        *get_user_model().objects.values_list("email", flat=True),
    ]
    for email in emails:
        validate_email_address(email)
    assert "ismail.agaoglu@kamusm-demo.example" in emails
    for first, last in Participant.objects.values_list("first_name", "last_name"):
        validate_person_name(first)
        validate_person_name(last)
    for name in [*Institution.objects.values_list("name", flat=True), *Unit.objects.values_list("name", flat=True)]:
        validate_organisation_name(name)


def test_demo_has_trainers_and_on_site_requests_in_every_state(tmp_path):
    seed(tmp_path / "logins.json")
    seed(tmp_path / "logins.json")
    assert Trainer.objects.count() == 4
    assert set(TrainingRequest.objects.values_list("status", flat=True)) == {"submitted", "scheduled"}
    onsite = TrainingSession.objects.filter(kind="onsite")
    assert onsite.count() == 3
    waiting = onsite.get(ends_at__lt=timezone.now(), attendance__isnull=True)
    assert waiting.enrolments.count() == 4
    recorded = onsite.filter(attendance__isnull=False).distinct().get()
    assert recorded.status == "completed"
    # Full attendance on site gets a certificate, partial does not (rendered after commit).
    assert Certificate.objects.filter(session=recorded).count() == 2


def test_the_scheduled_jobs_run_in_the_embedded_default(db):
    """``make run`` runs ``manage.py run_scheduled`` beside the server: the jobs of the beat schedule,
    in process. A waiting place of a session that has started is written ``expired`` by it."""
    from sessions.models import Reservation, ReservationStatus, TrainingSession
    from sessions.services import reservation_create
    from tests.sessions.factories import ParticipantFactory, SessionFactory, standard_institution

    session = SessionFactory(capacity=1)
    institution = standard_institution()
    reservation_create(session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)])
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=timezone.now())
    out = StringIO()

    call_command("run_scheduled", "--once", stdout=out)

    assert list(Reservation.objects.values_list("status", flat=True).order_by("pk")) == [
        ReservationStatus.CONFIRMED,
        ReservationStatus.EXPIRED,
    ]
    assert "expire-waitlists: 1" in out.getvalue()


# --- What a newcomer reads: a quiet seed, the logins last -----------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the e-mails leave after commit
def test_seeding_prints_no_e_mail_and_ends_with_the_logins_table(tmp_path, settings, capsys):
    """``make run`` prints e-mails on the console (the development backend): the demo's own (set
    your password, your certificate) would scroll the logins off the screen. They go nowhere, and
    the logins table is the last thing the command prints."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    output = seed(tmp_path / "logins.json")

    printed = capsys.readouterr()
    assert "Subject:" not in printed.out + printed.err + output
    assert printed.out == ""
    lines = output.rstrip("\n").splitlines()
    table = next(i for i, line in enumerate(lines) if line.startswith("Demo logins"))
    assert lines[table + 1].split() == ["username", "password", "role"]
    assert all(LOGIN_LINE.match(line) for line in lines[table + 2 :])
    assert len(lines[table + 2 :]) == get_user_model().objects.count()
    assert Certificate.objects.exists()  # the demo's certificates were issued all the same


def test_after_seeding_the_portal_still_prints_its_e_mails(tmp_path, settings, capsys):
    """Only the seed is quiet: the served portal's e-mails still reach the console."""
    from django.core.mail import send_mail

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    seed(tmp_path / "logins.json")
    capsys.readouterr()

    send_mail("Deneme", "Gövde", "egitim@kamusm.example", ["kisi@example.gov.tr"])

    assert "Subject: Deneme" in capsys.readouterr().out
