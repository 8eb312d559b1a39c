"""Reads of the on-site side: the proposal's input, requests per user, and work plans."""

from datetime import timedelta

import pytest
from django.utils import timezone

from entitlements.models import Official, Program
from sessions.proposal import propose
from sessions.selectors import proposal_input, request_list, sessions_visible
from sessions.services import onsite_session_schedule, unavailability_create
from tests.entitlements.factories import ProgrammeStaffFactory, UserFactory
from tests.sessions.factories import TrainerFactory, onsite_institution, submitted_request
from tests.timing import TZ, at, on

pytestmark = pytest.mark.django_db


def _request(institution, hours=8, windows=None, plate=6):
    return submitted_request(institution, {"EIMZA-101": hours}, expected=10, plate=plate, preferred_dates=windows)


def test_the_proposal_takes_what_is_left_of_each_item_and_every_trainers_busy_time():
    first_day = timezone.localdate() + timedelta(days=10)
    trainer = TrainerFactory(home_province_id=34)
    split = _request(onsite_institution(users=20_000), hours=12, plate=34)  # 12 of 16 hours
    onsite_session_schedule(
        request=split,
        course=split.items.get().course,
        trainer=trainer,
        starts_at=on(first_day, 9),
        ends_at=on(first_day, 13),
    )
    block = unavailability_create(
        trainer=trainer, starts_at=on(first_day, 14), ends_at=on(first_day + timedelta(days=2), 0)
    )
    windows = [{"from": first_day, "to": first_day + timedelta(days=20)}]
    other = _request(onsite_institution(), windows=windows)

    items, plans = proposal_input(
        program=Program.objects.get(year=2012), first_day=first_day, last_day=first_day + timedelta(days=30), tz=TZ
    )

    by_key = {i.key: i for i in items}
    assert by_key[split.items.get().pk].hours == 8  # 12 asked, 4 scheduled
    assert by_key[other.items.get().pk].windows == ((first_day, first_day + timedelta(days=20)),)
    (plan,) = plans
    assert plan.home_province == 34
    assert set(plan.busy) == {(on(first_day, 9), on(first_day, 13)), (block.starts_at, block.ends_at)}
    proposal = propose(items, plans, first_day=first_day, last_day=first_day + timedelta(days=30), tz=TZ)
    assert not proposal.unplaced
    for placement in proposal.placements:
        assert all(placement.ends_at <= s or placement.starts_at >= e for s, e in plan.busy)


def test_an_official_sees_only_their_institutions_requests_and_on_site_sessions():
    mine, theirs = onsite_institution(), onsite_institution()
    user = UserFactory()
    Official.objects.create(user=user, institution=mine)
    mine_request, their_request = _request(mine), _request(theirs)
    trainer = TrainerFactory()
    start = at(5, 9)  # 09:00 five days ahead: 8 hours end the same day whatever the time now
    for request, day in ((mine_request, 0), (their_request, 1)):
        onsite_session_schedule(
            request=request,
            course=request.items.get().course,
            trainer=trainer,
            starts_at=start + timedelta(days=day),
            ends_at=start + timedelta(days=day, hours=8),
        )
    assert list(request_list(user=user)) == [mine_request]
    assert {s.institution_id for s in sessions_visible(user).filter(kind="onsite")} == {mine.pk}
    assert {s.institution_id for s in sessions_visible(trainer.user).filter(kind="onsite")} == {mine.pk, theirs.pk}
    assert not sessions_visible(TrainerFactory().user).filter(kind="onsite").exists()
    assert request_list(user=ProgrammeStaffFactory()).count() == 2


def test_the_request_list_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    staff = ProgrammeStaffFactory()
    _request(onsite_institution())
    with django_assert_max_num_queries(4) as one:
        rows = list(request_list(user=staff))
        _ = [i.scheduled for r in rows for i in r.items.all()]
    for _n in range(9):
        _request(onsite_institution())
    with django_assert_max_num_queries(len(one.captured_queries)):
        rows = list(request_list(user=staff))
        _ = [(i.scheduled, i.course.code) for r in rows for i in r.items.all()]
    assert len(rows) == 10


def test_trainers_are_listed_in_turkish_alphabetical_order():
    from sessions.selectors import trainer_list
    from tests.entitlements.factories import UserFactory as _User

    for first in ("Emre", "Çiğdem", "Ümit", "İlkay", "Ilgaz", "Cem"):
        TrainerFactory(user=_User(is_staff=True, first_name=first, last_name="Aksoy"))
    assert [t.user.first_name for t in trainer_list()] == ["Cem", "Çiğdem", "Emre", "Ilgaz", "İlkay", "Ümit"]
