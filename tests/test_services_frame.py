"""The frame every write service runs in (docs/architecture.md, "Services", "Locks", "Rule codes"):
one transaction, row locks in one order, the actor recorded, and rule codes from one registry."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from certificates import services as certificate_services
from certificates.models import Certificate, SerialCounter
from entitlements import services as entitlement_services
from entitlements.models import Entitlement, Institution, Program
from kamusm_portal.errors import Code, RuleViolation
from kamusm_portal.locking import LOCK_ORDER, LockOrderError, lock, lock_one, locked_update
from kamusm_portal.services import acting_user, service
from sessions import services as session_services
from sessions.models import Participant, Reservation, ReservationStatus, TrainingSession
from sessions.services import (
    participant_update,
    reservation_cancel,
    reservation_create,
    session_announce,
    training_request_reject,
    waitlists_expire,
)
from tests.certificates.factories import onsite_finished
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    onsite_institution,
    standard_institution,
    submitted_request,
)

ROOT = Path(__file__).resolve().parent.parent

# --- Locks -------------------------------------------------------------------------------------


@service
def _locks(*, models: list, by=None) -> None:
    for model in models:
        lock(model.objects.none())


def test_locks_in_the_documented_order_pass(db):
    _locks(models=[Institution, Entitlement, Participant, TrainingSession, Reservation, Certificate, SerialCounter])


@pytest.mark.parametrize(
    "models",
    [
        [TrainingSession, Entitlement],  # the entitlement guards the quota: first
        [Participant, Reservation, TrainingSession],
        [SerialCounter, Certificate],
    ],
)
def test_a_lock_out_of_order_is_refused(db, models):
    with pytest.raises(LockOrderError):
        _locks(models=models)


@service
def _inner(*, by=None) -> None:
    lock(Entitlement.objects.none())


@service
def _outer(*, by=None) -> None:
    lock(TrainingSession.objects.none())
    _inner()


def test_the_order_holds_across_the_services_a_service_calls(db):
    with pytest.raises(LockOrderError):
        _outer()


def test_each_outermost_service_call_starts_a_new_order(db):
    _locks(models=[TrainingSession])
    _locks(models=[Entitlement])  # another call: the first one's locks are gone (in production)


def test_every_locked_model_is_in_the_order():
    for label in LOCK_ORDER:
        app_label, model = label.split(".")
        assert model in {m._meta.model_name for m in apps.get_app_config(app_label).get_models()}


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # flushes without re-making the content types
def test_a_lock_outside_a_transaction_is_refused():
    for take in (lock, lock_one):
        with pytest.raises(transaction.TransactionManagementError):
            take(Program.objects.all())
    with pytest.raises(transaction.TransactionManagementError):
        locked_update(SerialCounter.objects.filter(year=1), last=1)


def test_the_services_lock_only_through_the_locking_module():
    """``select_for_update`` appears nowhere else in the application code."""
    offenders = [
        str(path.relative_to(ROOT))
        for app in ("entitlements", "sessions", "certificates", "kamusm_portal")
        for path in (ROOT / app).rglob("*.py")
        if "select_for_update" in path.read_text() and path.name != "locking.py" and "migrations" not in path.parts
    ]
    assert offenders == []


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_service_run_after_a_commit_is_a_call_of_its_own():
    """An on-commit hook (a task run in process without a broker) starts afresh: the finished call's
    locks and actor are not its own."""
    seen = {}

    @service
    def later(*, by=None):
        lock(Entitlement.objects.none())  # earlier in the order than what the first call took
        seen["actor"] = acting_user()

    @service
    def first(*, by=None):
        lock(TrainingSession.objects.none())
        transaction.on_commit(lambda: later())

    first(by=UserFactory())
    assert seen == {"actor": None}


# --- One transaction per call ------------------------------------------------------------------


def test_a_service_called_by_a_service_joins_its_transaction_without_a_savepoint(db):
    @service
    def inner(*, by=None):
        return None

    @service
    def outer(*, by=None):
        inner()

    with CaptureQueriesContext(connection) as alone:
        inner()
    with CaptureQueriesContext(connection) as nested:
        outer()
    savepoints = [q for q in nested.captured_queries if "SAVEPOINT" in q["sql"].upper()]
    assert len(savepoints) == len([q for q in alone.captured_queries if "SAVEPOINT" in q["sql"].upper()])


def test_a_durable_entry_point_refuses_to_run_inside_another_transaction(db):
    assert reservation_create.durable and reservation_cancel.durable
    with pytest.raises(RuntimeError), transaction.atomic():
        reservation_cancel(reservation=Reservation(pk=1))


def test_every_write_service_runs_in_the_frame_and_takes_by():
    writes = re.compile(
        r"_(create|update|delete|cancel|announce|reject|schedule|record|revoke|rerender|recompute|copy|renew"
        r"|expire|sync)$"
    )
    found = []
    for package in (entitlement_services, session_services, certificate_services):
        for name in package.__all__:
            function = getattr(package, name)
            if callable(function) and writes.search(name) and name != "account_create":
                found.append(name)
                assert getattr(function, "is_service", False), name
                if name != "waitlists_expire":  # a scheduled job: nobody acts
                    assert "by" in inspect.signature(function).parameters, name
    assert len(found) > 25


# --- The actor ---------------------------------------------------------------------------------


def _history_users(obj) -> list:
    return [row.history_user for row in obj.history.order_by("history_date", "history_id")]


def test_the_actor_is_recorded_outside_a_web_request(db):
    """As a task or a command calls them: no request, only ``by``."""
    staff = ProgrammeStaffFactory()
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    first, second = (ParticipantFactory(institution=institution) for _ in range(2))

    made = reservation_create(session=session, participants=[first, second], by=staff)  # hand-written SQL
    reservation_cancel(reservation=made[0], by=staff)  # and the promotion it causes
    participant_update(participant=first, data={"last_name": "Öztürk"}, by=staff)

    assert _history_users(made[0]) == [staff, staff]
    assert _history_users(made[1]) == [staff, staff]  # applied, then promoted: the cancelling actor
    assert _history_users(first)[-1] == staff
    assert acting_user() is None  # nothing leaks past the call


def test_a_service_called_without_by_keeps_its_callers_actor(db):
    staff = ProgrammeStaffFactory()
    participant = ParticipantFactory()

    @service
    def rename(*, by=None):
        participant_update(participant=participant, data={"first_name": "Ümit"})  # no by of its own

    rename(by=staff)
    assert _history_users(participant)[-1] == staff


def test_the_actor_of_a_rejection_is_recorded(db):
    staff = ProgrammeStaffFactory()
    request = submitted_request(onsite_institution())
    training_request_reject(request=request, reason="Takvim dolu", by=staff)
    assert _history_users(request)[-1] == staff


def test_set_based_history_names_the_actor(db):
    staff = ProgrammeStaffFactory()
    session, people = onsite_finished(2)
    certificate_services.attendance_record(session=session, marks=[(p, "full") for p in people], by=staff)
    certificate = Certificate.objects.filter(session=session).first()
    assert _history_users(certificate) == [staff]  # issued in one INSERT … SELECT
    attendance = session.attendance.first()
    assert _history_users(attendance) == [staff]


def test_a_scheduled_job_records_nobody(db):
    session = SessionFactory(capacity=1)
    institution = standard_institution()
    made = reservation_create(
        session=session, participants=[ParticipantFactory(institution=institution) for _ in range(2)], by=UserFactory()
    )
    TrainingSession.objects.filter(pk=session.pk).update(starts_at=timezone.now())
    assert waitlists_expire() == 1
    waiting = Reservation.objects.get(pk=made[1].pk)
    assert waiting.status == ReservationStatus.EXPIRED
    last = waiting.history.order_by("-history_date").first()
    assert (last.history_user, last.history_change_reason) == (None, "session started")


def test_an_entitlement_recomputation_names_its_actor(db):
    staff = ProgrammeStaffFactory()
    institution = standard_institution()
    institution.units.update(active_users=500)
    entitlement_services.entitlement_recompute(institutions=Institution.objects.filter(pk=institution.pk), by=staff)
    entitlement = Entitlement.objects.get(institution=institution)
    assert _history_users(entitlement)[-1] == staff


def test_announcing_names_its_actor(db):
    staff = ProgrammeStaffFactory()
    session = SessionFactory(status="draft", announced_at=None)
    session_announce(session=session, by=staff)
    assert _history_users(session)[-1] == staff


# --- Rule codes --------------------------------------------------------------------------------


def test_an_unknown_rule_code_is_a_programming_error():
    with pytest.raises(ValueError):
        RuleViolation("not_a_code", "…")


def test_a_rule_code_carries_its_status():
    assert RuleViolation(Code.NO_CATEGORY, "…").status == 404
    assert RuleViolation("not_ready", "…").status == 409
    assert RuleViolation(Code.NOTICE_PERIOD, "…").status == 400


def test_every_rule_code_is_documented_in_the_api_contract_and_only_those():
    api = (ROOT / "docs" / "api.md").read_text()
    table = api[api.index("## Rule codes") :]
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", table, flags=re.MULTILINE))
    assert documented == {code.value for code in Code}


def test_the_code_raises_only_registered_codes():
    """Every ``RuleViolation`` in the application code names a ``Code`` member."""
    raised = set()
    for app in ("entitlements", "sessions", "certificates", "kamusm_portal"):
        for path in (ROOT / app).rglob("*.py"):
            text = path.read_text()
            raised |= set(re.findall(r"RuleViolation\(\s*Code\.([A-Z_]+)", text))
            assert not re.search(r'RuleViolation\(\s*"', text), path
    assert raised <= set(Code.__members__)
