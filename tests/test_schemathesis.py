"""The hostile probe, made permanent (docs/api.md, "The probe"): schemathesis generates requests
from the live OpenAPI schema (``/api/schema/``, served by the portal's own WSGI application in this
process) and sends them with an official's token and with a programme staff token, over a small
but realistic world (``_world``): an institution with its classroom entitlement, units,
participants, reservations and a ready certificate; on-site institutions with a request, a
scheduled session, issued and revoked certificates, a rejected request.

Every operation of the schema is one test per token. Each fails on a server error, a status code
the schema does not document, a content type it does not document, or a body that does not match
the documented one. Generation is deterministic (a fixed seed, Hypothesis derandomized, no example
database) and bounded (``MAX_EXAMPLES``), so a run sends the same requests on every machine and on
both databases, in well under three minutes; the figures (requests per token) are printed at the
end of the module. Run it alone with ``pytest tests/test_schemathesis.py`` (README, "Tests").
"""

from __future__ import annotations

import time
from collections import Counter

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.test import TestCase, override_settings
from django.utils import timezone
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from certificates.services import attendance_record, certificate_revoke
from entitlements.models import UnitLevel
from sessions.models import SessionStatus
from sessions.services import participant_delete, reservation_create, training_request_reject
from tests.certificates.factories import issued, make_ready
from tests.entitlements.factories import ProgrammeStaffFactory, institution_with_entitlements, official_of, unit
from tests.sessions.factories import (
    ParticipantFactory,
    SessionFactory,
    TrainerFactory,
    onsite_institution,
    onsite_session,
    standard_institution,
    submitted_request,
)
from tests.timing import at

SEED = 20120405
# Generated examples per operation and token (schemathesis's fuzzing phase); its coverage and
# examples phases add their own fixed cases (bounds, wrong types, missing fields) to each.
MAX_EXAMPLES = 10
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        "generation": {"max-examples": MAX_EXAMPLES, "mode": "all", "deterministic": True, "database": "none"},
        # The world is built once for the module and each operation's examples share its test's
        # savepoint: Hypothesis's check against function-scoped fixtures does not apply, and a
        # slow example (a busy machine) is no failure here; the four checks below are.
        "suppress-health-check": ["all"],
    }
)
# Loaded through the portal's WSGI application, as a client would read it: the live schema (at
# collection, so one test per operation; the schema needs no database).
with override_settings(ALLOWED_HOSTS=["localhost"], SECURE_SSL_REDIRECT=False):
    SCHEMA = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler(), config=CONFIG)

EXAMPLES: Counter[str] = Counter()
OPERATIONS: dict[str, set[str]] = {}


@pytest.fixture(scope="module")
def figures(request):
    """The probe's figures, printed when the module is done (also without ``-s``)."""
    started = time.monotonic()
    yield
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if reporter is None or capture is None or not EXAMPLES:
        return
    with capture.global_and_fixture_disabled():
        reporter.write_line("")
        for who in sorted(EXAMPLES):
            reporter.write_line(
                f"schemathesis probe, {who} token: {EXAMPLES[who]} requests over {len(OPERATIONS[who])} operations"
            )
        reporter.write_line(f"schemathesis probe: seed {SEED}, {time.monotonic() - started:.0f} s")


@pytest.fixture
def in_process(settings):
    """Requests reach the portal in this thread and inside the test's transaction: the requests'
    end must not close the test's connection (Django's test client holds it open the same way)."""
    settings.ALLOWED_HOSTS = ["localhost", "testserver"]
    settings.SECURE_SSL_REDIRECT = False
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


class _Module(TestCase):
    """The module's transaction, as ``TestCase.setUpTestData`` has one: the world is built once,
    each test runs in a savepoint inside it, and all is rolled back at the end."""

    databases = {"default"}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """What the tokens see, built once for the module (the suite's fixtures' settings applied
    here by hand: they are per test): answers the two users, by token name."""
    with override_settings(
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        CELERY_TASK_ALWAYS_EAGER=True,
        LANGUAGE_CODE="tr",
        MEDIA_ROOT=str(tmp_path_factory.mktemp("media")),  # the ready certificate's PDF
    ):
        with django_db_blocker.unblock():
            atomics = _Module._enter_atomics()
            users = {"official": _world(), "staff": ProgrammeStaffFactory()}
        yield users
        with django_db_blocker.unblock():
            _Module._rollback_atomics(atomics)


def _world():
    """An institution of the Standard (classroom) band, with provincial and district units,
    participants, reservations and a certificate; an on-site one with a request and a session;
    certificates of a third (one revoked, one of a participant since removed); a rejected request;
    a draft and a cancelled session; an institution in no band. Answers the official of the first."""
    institution = standard_institution(
        name="Çankaya Belediyesi",
        units=[unit(UnitLevel.IL, 10, plate=6), unit(UnitLevel.ILCE, 5, plate=6, district="Çankaya")],
    )  # 50 + 15 users: the Standard band, 6 classroom seats
    official = official_of(institution)
    people = [
        ParticipantFactory(institution=institution, first_name=first, last_name=last)
        for first, last in (("Işıl", "Güneş"), ("Ömer", "Çağlar"), ("Şule", "Yıldırım"), ("İsmail", "Ağaoğlu"))
    ]
    announced = SessionFactory(trainer=TrainerFactory())
    reservation_create(session=announced, participants=people[:2], by=official)
    SessionFactory(status=SessionStatus.DRAFT, announced_at=None)
    SessionFactory(status=SessionStatus.CANCELLED, cancelled_at=timezone.now())
    # A classroom session that took place, with a ready certificate.
    finished = SessionFactory()
    reservation_create(session=finished, participants=people[2:3], by=official)
    finished.starts_at, finished.ends_at = at(-3, 9), at(-3, 13)
    finished.save(update_fields=["starts_at", "ends_at"])
    attendance_record(session=finished, marks=[(people[2], "full")])
    make_ready(finished.certificates.get())
    # On-site training: a request with half its hours scheduled, and another institution's
    # finished session with its certificates.
    onsite = onsite_institution(name="Kırıkkale Valiliği")  # band 1: 8 on-site hours
    onsite_session(submitted_request(onsite), starts_at=at(40, 9), ends_at=at(40, 13))
    official_of(onsite)
    revoked, removed = issued(2)
    certificate_revoke(certificate=revoked, reason="Yanlış kişi adına düzenlendi.")
    participant_delete(participant=removed.participant)  # anonymised: they hold a certificate
    training_request_reject(request=submitted_request(onsite_institution()), reason="Kapsam dışı.")
    institution_with_entitlements(name="Boş Kurum")  # no users: in no band
    return official


@pytest.fixture(params=["official", "staff"])
def token(request, world, db, in_process, figures):
    """``(name, key)``: the API token of the official or of the programme staff member."""
    return request.param, Token.objects.get_or_create(user=world[request.param])[0].key


@SCHEMA.parametrize()
def test_the_api_answers_every_generated_request_as_its_schema_says(case, token):
    who, key = token
    EXAMPLES[who] += 1
    OPERATIONS.setdefault(who, set()).add(case.operation.label)
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=CHECKS)


def test_the_probe_covers_every_operation_of_the_schema():
    """Every path and method of the schema is probed, none filtered out."""
    operations = [result.ok() for result in SCHEMA.get_all_operations()]
    assert len(operations) >= 50
    assert {op.path for op in operations} >= {"/api/v1/sessions/", "/api/v1/certificates/{id}/pdf/"}


def test_both_tokens_have_a_world_behind_them(token, client):
    """The official reads their institution's participants, reservations and certificate; staff
    read every institution's sessions and certificates."""
    who, key = token
    auth = {"HTTP_AUTHORIZATION": f"Token {key}"}
    counts = {
        name: client.get(f"/api/v1/{name}/", **auth).json()["count"]
        for name in ("participants", "reservations", "certificates", "sessions", "training-requests")
    }
    if who == "official":
        assert counts == {
            "participants": 4,
            "reservations": 3,
            "certificates": 1,
            "sessions": 2,
            "training-requests": 0,
        }
    else:
        assert counts["certificates"] == 3 and counts["sessions"] == 6 and counts["training-requests"] == 3
