"""`seed_scale`: a national-scale program at a small scale, its sizes, the domain's invariants,
determinism from the seed, and its refusal to run on a database that holds institutions."""

import itertools
import re
from collections import Counter, defaultdict
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus, SerialCounter
from certificates.services.issuing import CROCKFORD, eligible
from entitlements.models import (
    Category,
    Delivery,
    Entitlement,
    EntitlementFlag,
    Institution,
    InstitutionKind,
    Unit,
    UnitLevel,
)
from entitlements.services import entitlement_recompute
from kamusm_portal.validators import validate_email_address, validate_organisation_name, validate_person_name
from reports.management.commands import seed_scale
from sessions.models import (
    Attendance,
    Enrolment,
    Participant,
    RequestStatus,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingRequestItem,
    TrainingSession,
)
from sessions.selectors import usage_of

pytestmark = pytest.mark.django_db

SCALE = 0.02


def seed(scale=SCALE, seed=7):
    out = StringIO()
    call_command("seed_scale", scale=scale, seed=seed, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded(program):
    return seed()


def test_sizes_follow_the_scale(seeded):
    assert Institution.objects.count() == 200
    assert Unit.objects.count() == 1_200
    assert Participant.objects.count() == 1_200
    assert TrainingSession.objects.filter(kind=SessionKind.CLASSROOM).count() == 20
    assert TrainingSession.objects.filter(kind=SessionKind.ONSITE).count() == 60
    assert Trainer.objects.count() == 4  # 40 at scale 1, never fewer than 4
    # "about" 24,000 reservations and 50,000 certificates at scale 1
    assert 0.7 * 480 <= Reservation.objects.count() <= 1.2 * 480
    assert 0.7 * 1_000 <= Certificate.objects.count() <= 1.3 * 1_000
    assert "Done in" in seeded and "certificates (pending, no PDF yet)" in seeded


def test_institutions_spread_over_every_kind_and_band(seeded, program):
    assert set(Institution.objects.values_list("kind", flat=True)) == set(InstitutionKind.values)
    assert Institution.objects.values("code").distinct().count() == 200
    assert Institution.objects.filter(name__regex=r"[çğıöşüÇĞİÖŞÜ]").count() > 150
    per_band = Counter(Entitlement.objects.filter(program=program).values_list("category__code", flat=True))
    codes = list(Category.objects.filter(program=program).order_by("min_users").values_list("code", flat=True))
    assert per_band[codes[0]] > 100  # most are Standard
    assert per_band[codes[1]] > per_band[codes[2]] >= per_band[codes[3]] >= 2
    assert all(per_band[code] >= 2 for code in codes)
    flags = Counter(Entitlement.objects.filter(program=program).values_list("flag", flat=True))
    assert flags[EntitlementFlag.NO_USERS] >= 2
    assert flags[EntitlementFlag.ABOVE_LAST_BAND] == 2
    assert Institution.objects.filter(account_manager__isnull=False).exists()
    assert Institution.objects.filter(account_manager__isnull=True).exists()


def test_every_institution_has_one_central_unit_and_units_have_their_places(seeded):
    central = Counter(Unit.objects.filter(level=UnitLevel.MERKEZ).values_list("institution_id", flat=True))
    assert len(central) == 200 and set(central.values()) == {1}
    assert not Unit.objects.filter(~Q(level=UnitLevel.MERKEZ), province__isnull=True).exists()
    assert not Unit.objects.filter(level=UnitLevel.ILCE, district__isnull=True).exists()
    assert not Unit.objects.filter(level=UnitLevel.ILCE).exclude(district__province=F("province")).exists()
    assert not Participant.objects.exclude(unit__institution=F("institution")).exists()


def test_entitlements_are_what_the_ledger_computes(seeded, program):
    assert entitlement_recompute(programs=[program]) == 0  # nothing to change
    totals = dict(
        Unit.objects.values("institution_id").annotate(t=Sum("active_users")).values_list("institution_id", "t")
    )
    bands = list(Category.objects.filter(program=program))
    for row in Entitlement.objects.filter(program=program):
        assert row.total_active_users == totals[row.institution_id]
        expected = [b.pk for b in bands if b.min_users <= row.total_active_users <= b.max_users]
        assert [row.category_id] == expected or (row.category_id is None and not expected)


def test_classroom_seats_keep_the_quota_the_capacity_and_one_live_seat_per_person(seeded, program):
    now = timezone.now()
    live = Reservation.objects.live(now)
    per_institution = Counter(live.values_list("institution_id", flat=True))
    assert max(per_institution.values()) <= program.classroom_quota
    assert max(Counter(live.values_list("participant_id", flat=True)).values()) == 1
    for session in TrainingSession.objects.filter(kind=SessionKind.CLASSROOM).annotate(
        confirmed=Count("reservations", filter=Q(reservations__status=ReservationStatus.CONFIRMED)),
        waiting=Count("reservations", filter=Q(reservations__status=ReservationStatus.WAITLISTED)),
    ):
        assert session.confirmed <= session.capacity
        if session.waiting:  # a waiting list only on a full session that has not started
            assert session.confirmed == session.capacity and session.starts_at > now
        if session.status == SessionStatus.CANCELLED:
            assert session.confirmed == 0 and session.waiting == 0
        assert session.announced_at <= session.starts_at - timezone.timedelta(days=program.notice_days)
    # only classroom institutions reserve, and seats go in order of application
    assert not Reservation.objects.exclude(institution__entitlements__category__delivery=Delivery.CLASSROOM).exists()
    for session_id in Reservation.objects.values_list("session_id", flat=True).distinct():
        applied = list(
            Reservation.objects.filter(session_id=session_id).order_by("pk").values_list("applied_at", flat=True)
        )
        assert applied == sorted(applied)
    assert not Reservation.objects.exclude(participant__institution=F("institution")).exists()


def test_onsite_hours_stay_within_the_right(seeded, program):
    rows = list(Entitlement.objects.filter(program=program).select_related("category", "program"))
    used = 0
    for usage in usage_of(rows).values():
        assert usage.hours_used + usage.hours_held <= usage.hours
        used += usage.hours_used
    assert used > 0
    assert (
        Entitlement.objects.filter(program=program, institution__onsite_sessions__isnull=False)
        .exclude(category__delivery=Delivery.ONSITE)
        .count()
        == 0
    )
    for item in TrainingRequestItem.objects.with_scheduled_hours():
        assert item.scheduled <= item.hours
    for session in TrainingSession.objects.filter(kind=SessionKind.ONSITE).select_related("request_item__request"):
        assert session.request_item.request.institution_id == session.institution_id
        assert session.course_id == session.request_item.course_id
        assert session.capacity == session.request_item.request.expected_participants
    for request in TrainingRequest.objects.filter(status=RequestStatus.SCHEDULED):
        assert all(i.hours_left == 0 for i in request.items.with_scheduled_hours())


def test_trainers_are_never_double_booked(seeded):
    by_trainer = defaultdict(list)
    for trainer_id, starts, ends in (
        TrainingSession.objects.live().filter(trainer__isnull=False).values_list("trainer_id", "starts_at", "ends_at")
    ):
        by_trainer[trainer_id].append((starts, ends))
    assert by_trainer
    for spans in by_trainer.values():
        spans.sort()
        for (_s1, end), (start, _e2) in itertools.pairwise(spans):
            assert end <= start


def test_past_sessions_have_attendance_for_their_roster_and_future_ones_none(seeded):
    now = timezone.now()
    marked = set(Attendance.objects.values_list("session_id", "participant_id"))
    confirmed = set(
        Reservation.objects.filter(status=ReservationStatus.CONFIRMED, session__ends_at__lte=now).values_list(
            "session_id", "participant_id"
        )
    )
    enrolled = set(Enrolment.objects.filter(session__ends_at__lte=now).values_list("session_id", "participant_id"))
    assert marked == confirmed | enrolled
    assert not TrainingSession.objects.filter(ends_at__lte=now, status=SessionStatus.ANNOUNCED).exists()
    assert not TrainingSession.objects.filter(starts_at__gt=now, status=SessionStatus.COMPLETED).exists()
    assert Enrolment.objects.filter(session__starts_at__gt=now).exists()
    assert not Enrolment.objects.exclude(session__kind=SessionKind.ONSITE).exists()
    assert Counter(Attendance.objects.values_list("status", flat=True)).keys() == {"full", "partial", "absent"}


def test_certificates_exactly_for_eligible_attendance(seeded, program):
    rules = dict(
        Entitlement.objects.filter(program=program).values_list("institution_id", "category__certificate_rule")
    )
    expected = {
        (session_id, participant_id)
        for session_id, participant_id, institution_id, status in Attendance.objects.values_list(
            "session_id", "participant_id", "participant__institution_id", "status"
        )
        if eligible(rules[institution_id], status)
    }
    issued = list(Certificate.objects.values_list("session_id", "participant_id"))
    assert len(issued) == len(set(issued))  # one per participant per session
    assert set(issued) == expected
    # bands 1-5 certify full attendance only; the Standard classroom partial attendance too
    assert Certificate.objects.filter(
        session__kind=SessionKind.CLASSROOM,
        session__attendance__participant=F("participant"),
        session__attendance__status="partial",
    ).exists()
    assert not Certificate.objects.filter(
        session__kind=SessionKind.ONSITE,
        session__attendance__participant=F("participant"),
        session__attendance__status="partial",
    ).exists()
    count = len(issued)
    serials = sorted(Certificate.objects.values_list("serial", flat=True))
    assert serials == [f"KSM-{program.year}-{n:06d}" for n in range(1, count + 1)]
    assert SerialCounter.objects.get(year=program.year).last == count  # issuing continues the sequence
    codes = list(Certificate.objects.values_list("code", flat=True))
    assert len(set(codes)) == count and all(len(c) == 16 and set(c) <= set(CROCKFORD) for c in codes)
    assert set(Certificate.objects.values_list("status", flat=True)) == {CertificateStatus.PENDING}
    assert not Certificate.objects.exclude(pdf="").exists()
    # what a certificate says
    sample = Certificate.objects.select_related("participant", "session__course", "institution").first()
    assert sample.participant_name == sample.participant.full_name
    assert sample.institution_name == sample.institution.name
    assert sample.course_title == sample.session.course.title_tr


def test_seeding_queues_no_pdf_and_no_task(program, django_capture_on_commit_callbacks, monkeypatch):
    from certificates import tasks

    sent = []
    monkeypatch.setattr(tasks.render_certificates, "apply_async", lambda *a, **k: sent.append(a))
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        seed()
    assert Certificate.objects.count() > 500
    assert callbacks == [] and sent == []


def test_names_hold_turkish_letters(seeded):
    names = list(Participant.objects.values_list("first_name", "last_name"))
    assert sum(1 for first, last in names if re.search(r"[çğıöşüÇĞİÖŞÜ]", first + last)) > len(names) / 2
    assert Participant.objects.filter(multiplier=True).count() > 50
    assert not Participant.objects.exclude(email="").exclude(email__endswith=".example").exists()
    assert not Participant.objects.exclude(kimlik_no="").exists()  # no made-up national id numbers


def test_names_and_emails_follow_the_rules_of_any_input(seeded):
    """The command writes rows directly (not through the services): it keeps their rules itself."""
    for first, last, email in Participant.objects.values_list("first_name", "last_name", "email"):
        validate_person_name(first)
        validate_person_name(last)
        if email:
            validate_email_address(email)
    for name in [*Institution.objects.values_list("name", flat=True), *Unit.objects.values_list("name", flat=True)]:
        validate_organisation_name(name)
    for first, last, email in get_user_model().objects.values_list("first_name", "last_name", "email"):
        validate_email_address(email)
        validate_person_name(first)
        validate_person_name(last)


def _snapshot():
    """Every row the command wrote, with ids counted from the first id of their table (a database
    may not start from 1), leaving out the secrets and the moments of the run itself."""
    from django.contrib.auth import get_user_model

    models = [
        get_user_model(),
        Institution,
        Unit,
        Entitlement,
        Trainer,
        Participant,
        TrainingRequest,
        TrainingRequestItem,
        TrainingSession,
        Reservation,
        Enrolment,
        Attendance,
        Certificate,
    ]
    left_out = {"calendar_token", "code", "password", "recomputed_at", "created_at", "last_login"}
    base = {}
    for model in models:
        base[model] = (model.objects.order_by("pk").values_list("pk", flat=True).first() or 0) - 1
    # The ledger's set-based recomputation inserts the entitlements in whatever order the database
    # reads the institutions (PostgreSQL does not promise one): their own ids are left out, and they
    # are compared as a set of rows keyed by their institution.
    unordered = {Entitlement}
    shot = {}
    for model in models:
        rows = []
        for obj in model.objects.order_by("pk"):
            row = []
            for f in model._meta.concrete_fields:
                if f.name in left_out or (model in unordered and f.primary_key):
                    continue
                value = getattr(obj, f.attname)
                target = f.related_model if f.is_relation else (model if f.primary_key else None)
                if target in base and value is not None:
                    value -= base[target]
                row.append(value)
            rows.append(tuple(row))
        shot[model.__name__] = sorted(rows, key=repr) if model in unordered else rows
    return shot


def _seed_and_snapshot(seed_value, monkeypatch, now):
    monkeypatch.setattr(seed_scale, "_clock", lambda: now)
    with transaction.atomic():
        seed(seed=seed_value)
        shot = _snapshot()
        transaction.set_rollback(True)
    return shot


def test_the_same_seed_gives_the_same_data(program, monkeypatch):
    now = timezone.now()
    first = _seed_and_snapshot(7, monkeypatch, now)
    again = _seed_and_snapshot(7, monkeypatch, now)
    other = _seed_and_snapshot(8, monkeypatch, now)
    assert Institution.objects.count() == 0
    assert sum(len(rows) for rows in first.values()) > 5_000
    for name in first:
        assert first[name] == again[name], name
    assert first["Participant"] != other["Participant"]
    assert first["Reservation"] != other["Reservation"]


def test_a_second_run_refuses(seeded):
    with pytest.raises(CommandError, match="already holds 200 institutions"):
        seed()
    assert Institution.objects.count() == 200


def test_an_empty_database_without_a_program_is_refused(program):
    program.is_open = False
    program.save()
    with pytest.raises(CommandError, match="No open program"):
        seed()
