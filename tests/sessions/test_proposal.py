"""The schedule proposal engine: conflict-free, inside the range and windows, fair, explainable.

Pure Python: no database. Scenarios are generated with ``random.Random(seed)``; every proposal is
checked against the rules by :func:`assert_valid`, written from the rules, not from the engine.
"""

from __future__ import annotations

import math
import random
import subprocess
import sys
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from sessions.proposal import (
    ALL_BUSY,
    HOME_BONUS,
    NO_DAYS,
    NO_TRAINERS,
    TAKEN,
    ItemToPlace,
    Proposal,
    TrainerPlan,
    first_fit,
    propose,
)
from tests.timing import TZ, on

NINE = time(9, 0)
WEEKDAYS = frozenset({0, 1, 2, 3, 4})
HOURS = (4, 8, 12, 16, 24)
MONDAY = date(2025, 3, 3)


def working_days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1) if (first + timedelta(n)).weekday() < 5]


def overlaps(a: tuple[datetime, datetime], b: tuple[datetime, datetime]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def assert_valid(
    proposal: Proposal,
    items: list[ItemToPlace],
    trainers: list[TrainerPlan],
    *,
    first_day: date,
    last_day: date,
    hours_per_day: int = 8,
) -> None:
    """Every rule of a placement, checked independently of the engine."""
    by_key = {item.key: item for item in items}
    placed = [p.item for p in proposal.placements]
    assert len(placed) == len(set(placed)), "an item placed twice"
    assert sorted(placed + [u.item for u in proposal.unplaced]) == sorted(by_key), "an item lost or invented"
    homes = {t.key: t.home_province for t in trainers}
    busy = {t.key: t.busy for t in trainers}
    for p in proposal.placements:
        item = by_key[p.item]
        start, end = p.starts_at.astimezone(TZ), p.ends_at.astimezone(TZ)
        assert p.hours == item.hours
        assert p.days == math.ceil(item.hours / hours_per_day)
        assert p.home == (homes[p.trainer] == item.province)
        assert start.time() == NINE
        assert start.weekday() < 5 and end.weekday() < 5
        assert len(working_days(start.date(), end.date())) == p.days
        assert end - on(end.date(), 9) == timedelta(hours=item.hours - hours_per_day * (p.days - 1))
        assert first_day <= start.date() and end.date() <= last_day
        if item.windows:
            assert any(low <= start.date() and end.date() <= high for low, high in item.windows)
        for block in busy[p.trainer]:
            assert not overlaps((p.starts_at, p.ends_at), block), f"item {p.item} over a busy block of {p.trainer}"
        # Each day of the run on its own, from 09:00: full days but the last, the item's hours in all.
        days = [opens.astimezone(TZ).date() for opens, _ in p.slots]
        assert days == working_days(start.date(), end.date())
        assert [opens.astimezone(TZ).time() for opens, _ in p.slots] == [NINE] * p.days
        assert [closes - opens for opens, closes in p.slots[:-1]] == [timedelta(hours=hours_per_day)] * (p.days - 1)
        assert (p.slots[0][0], p.slots[-1][1]) == (p.starts_at, p.ends_at)
        assert sum((closes - opens for opens, closes in p.slots), timedelta()) == timedelta(hours=item.hours)
    for trainer in trainers:
        mine = sorted((p.starts_at, p.ends_at) for p in proposal.placements if p.trainer == trainer.key)
        for earlier, later in pairwise(mine):
            assert earlier[1] <= later[0], f"two placements of trainer {trainer.key} overlap"


def random_scenario(seed: int) -> tuple[list[ItemToPlace], list[TrainerPlan], date, date]:
    """30 requests of 1-2 items, 5 trainers with unavailability (whole days, part days) and
    existing bookings, some given in UTC, over about two months."""
    rng = random.Random(seed)
    first, last = MONDAY, date(2025, 4, 30)
    days = working_days(first, last)
    trainers = []
    for key, home in enumerate((6, 34, 35, 1, 16), start=1):
        busy = []
        for _ in range(rng.randint(1, 3)):  # whole days of unavailability, weekends included
            day = first + timedelta(days=rng.randint(-3, 58))
            busy.append((on(day, 0), on(day, 0) + timedelta(days=rng.randint(1, 4))))
        for _ in range(rng.randint(0, 2)):  # a doctor's appointment
            day = rng.choice(days)
            hour = rng.randint(8, 16)
            busy.append((on(day, hour), on(day, hour) + timedelta(hours=rng.randint(1, 3))))
        for _ in range(rng.randint(2, 5)):  # sessions already booked, some stored in UTC
            day = rng.choice(days[:-2])
            block = (on(day, 9), on(day, 9) + timedelta(days=rng.randint(0, 2), hours=rng.choice((4, 8))))
            busy.append(tuple(moment.astimezone(UTC) for moment in block) if rng.random() < 0.5 else block)
        trainers.append(TrainerPlan(key=key, home_province=home, busy=tuple(busy)))
    items = []
    for request in range(1, 31):
        province = rng.choice((6, 34, 35, 7, 42, 55, 61))
        windows: list[tuple[date, date]] = []
        for _ in range(rng.choice((0, 0, 1, 1, 2))):
            low = first + timedelta(days=rng.randint(-5, 55))
            windows.append((low, low + timedelta(days=rng.randint(0, 14))))
        for _ in range(rng.randint(1, 2)):
            items.append(
                ItemToPlace(
                    key=len(items) + 100,
                    request=request,
                    hours=rng.choice(HOURS),
                    province=province,
                    windows=tuple(windows),
                )
            )
    return items, trainers, first, last


def feasible_scenario(seed: int) -> tuple[list[ItemToPlace], list[TrainerPlan], date, date]:
    """Feasible by construction: a hidden valid assignment is laid first, trainer by trainer,
    each item's window is its hidden run widened by 0-2 working days each side (some items have
    no window), and unavailability falls only on days the hidden plan leaves a trainer idle."""
    rng = random.Random(seed)
    first, last = MONDAY, date(2025, 5, 30)
    days = working_days(first, last)
    items, trainers = [], []
    for key, home in enumerate((6, 34, 35, 1, 16), start=1):
        cursor, busy = rng.randint(0, 2), []
        while True:
            hours = rng.choice(HOURS)
            length = math.ceil(hours / 8)
            if cursor + length > len(days):
                break
            low = days[max(cursor - rng.randint(0, 2), 0)]
            high = days[min(cursor + length - 1 + rng.randint(0, 2), len(days) - 1)]
            items.append(
                ItemToPlace(
                    key=len(items) + 1,
                    request=len(items) // 2 + 1,
                    hours=hours,
                    province=rng.choice((6, 34, 35, 1, 16, 7, 42)),
                    windows=() if rng.random() < 0.15 else ((low, high),),
                )
            )
            cursor += length
            for _ in range(rng.choice((0, 0, 1, 2))):  # an idle day, sometimes unavailable
                if cursor < len(days) and rng.random() < 0.4:
                    busy.append((on(days[cursor], 0), on(days[cursor], 0) + timedelta(days=1)))
                cursor += 1
        trainers.append(TrainerPlan(key=key, home_province=home, busy=tuple(busy)))
    random.Random(seed + 1).shuffle(items)
    return items, trainers, first, last


@pytest.mark.parametrize("seed", range(8))
def test_the_proposal_never_outputs_a_conflict_or_leaves_the_range_windows_or_working_days(seed):
    items, trainers, first, last = random_scenario(seed)
    proposal = propose(items, trainers, first_day=first, last_day=last, tz=TZ)
    assert_valid(proposal, items, trainers, first_day=first, last_day=last)
    assert len(proposal.placements) >= len(items) // 2  # the scenario is not a trivial "nothing fits"


@pytest.mark.parametrize("seed", range(8))
def test_first_fit_never_outputs_a_conflict_either(seed):
    items, trainers, first, last = random_scenario(seed)
    proposal = first_fit(items, trainers, first_day=first, last_day=last, tz=TZ)
    assert_valid(proposal, items, trainers, first_day=first, last_day=last)


@pytest.mark.parametrize("seed", range(20))
def test_every_item_is_placed_when_a_valid_assignment_exists_by_construction(seed):
    items, trainers, first, last = feasible_scenario(seed)
    proposal = propose(items, trainers, first_day=first, last_day=last, tz=TZ)
    assert_valid(proposal, items, trainers, first_day=first, last_day=last)
    assert proposal.unplaced == []
    assert len(proposal.placements) == len(items) > 40


def test_a_home_province_trainer_is_preferred_when_both_are_free():
    items = [ItemToPlace(key=1, request=1, hours=8, province=6, windows=())]
    trainers = [TrainerPlan(key=10, home_province=34), TrainerPlan(key=20, home_province=6)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=4), tz=TZ)
    assert [(p.trainer, p.home, p.starts_at) for p in proposal.placements] == [(20, True, on(MONDAY, 9))]
    naive = first_fit(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=4), tz=TZ)
    assert [(p.trainer, p.home) for p in naive.placements] == [(10, False)]


def test_the_home_trainer_is_skipped_when_busy_and_another_one_takes_the_item():
    items = [ItemToPlace(key=1, request=1, hours=8, province=6, windows=((MONDAY, MONDAY),))]
    trainers = [
        TrainerPlan(key=10, home_province=6, busy=((on(MONDAY, 8), on(MONDAY, 12)),)),
        TrainerPlan(key=20, home_province=34),
    ]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=4), tz=TZ)
    assert [(p.trainer, p.home) for p in proposal.placements] == [(20, False)]


def test_load_is_spread_two_equal_trainers_four_equal_items_two_each():
    items = [ItemToPlace(key=k, request=k, hours=8, province=42, windows=()) for k in range(1, 5)]
    trainers = [TrainerPlan(key=10, home_province=6), TrainerPlan(key=20, home_province=34)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=13), tz=TZ)
    assert proposal.load() == {10: 16, 20: 16}
    assert proposal.load_gap() == 0
    naive = first_fit(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=13), tz=TZ)
    assert naive.load() == {10: 32, 20: 0}
    assert naive.load_gap() == 32


def test_the_home_preference_gives_way_once_the_home_trainer_is_well_above_the_others():
    # Ten one-day items in Ankara, an Ankara trainer and an İstanbul one: home first, but only
    # while the Ankara trainer is at most HOME_BONUS hours above the other (so it ends at most
    # HOME_BONUS hours and one item above).
    items = [ItemToPlace(key=k, request=k, hours=8, province=6) for k in range(1, 11)]
    trainers = [TrainerPlan(key=10, home_province=6), TrainerPlan(key=20, home_province=34)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=27), tz=TZ)
    load = proposal.load()
    assert proposal.unplaced == []
    assert load[10] > load[20] > 0
    assert proposal.load_gap() <= HOME_BONUS + 8
    assert proposal.placements[0].trainer == 10


def test_load_counts_every_trainer_given_including_idle_ones():
    items = [ItemToPlace(key=1, request=1, hours=4, province=6)]
    trainers = [TrainerPlan(key=k, home_province=6 if k == 2 else 34) for k in (1, 2, 3)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY, tz=TZ)
    assert proposal.load() == {1: 0, 2: 4, 3: 0}
    assert proposal.load_gap() == 4


def test_unavailability_is_respected_whole_days_and_part_of_a_day():
    trainers = [
        TrainerPlan(
            key=10,
            home_province=6,
            busy=(
                (on(MONDAY, 0), on(MONDAY + timedelta(days=2), 0)),  # Monday and Tuesday off
                (on(MONDAY + timedelta(days=2), 13), on(MONDAY + timedelta(days=2), 14)),  # Wednesday 13-14
            ),
        )
    ]
    items = [ItemToPlace(key=1, request=1, hours=8, province=6, windows=((MONDAY, MONDAY + timedelta(days=4)),))]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=4), tz=TZ)
    assert [p.starts_at for p in proposal.placements] == [on(MONDAY + timedelta(days=3), 9)]  # Thursday


def test_busy_intervals_in_utc_are_compared_as_instants():
    # 06:00-14:00 UTC is 09:00-17:00 in Istanbul: Monday is taken.
    busy = ((datetime(2025, 3, 3, 6, tzinfo=UTC), datetime(2025, 3, 3, 14, tzinfo=UTC)),)
    items = [ItemToPlace(key=1, request=1, hours=8, province=6)]
    proposal = propose(
        items,
        [TrainerPlan(key=10, home_province=6, busy=busy)],
        first_day=MONDAY,
        last_day=MONDAY + timedelta(days=1),
        tz=TZ,
    )
    assert [p.starts_at for p in proposal.placements] == [on(MONDAY + timedelta(days=1), 9)]


def test_touching_intervals_are_allowed_end_equals_start():
    busy = ((on(MONDAY, 6), on(MONDAY, 9)), (on(MONDAY, 17), on(MONDAY, 20)))
    items = [ItemToPlace(key=1, request=1, hours=8, province=6), ItemToPlace(key=2, request=1, hours=4, province=6)]
    trainers = [TrainerPlan(key=10, home_province=6, busy=busy)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=1), tz=TZ)
    assert {p.item: (p.starts_at, p.ends_at) for p in proposal.placements} == {
        1: (on(MONDAY, 9), on(MONDAY, 17)),
        2: (on(MONDAY + timedelta(days=1), 9), on(MONDAY + timedelta(days=1), 13)),
    }


def test_a_multi_day_item_runs_from_day_start_on_the_first_day_to_its_last_hour_on_the_last_day():
    items = [ItemToPlace(key=1, request=1, hours=12, province=6), ItemToPlace(key=2, request=2, hours=24, province=6)]
    trainers = [TrainerPlan(key=10, home_province=6), TrainerPlan(key=20, home_province=6)]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=4), tz=TZ)
    runs = {p.item: (p.starts_at, p.ends_at, p.days) for p in proposal.placements}
    assert runs == {
        1: (on(MONDAY, 9), on(MONDAY + timedelta(days=1), 13), 2),
        2: (on(MONDAY, 9), on(MONDAY + timedelta(days=2), 17), 3),
    }


def test_the_weekend_is_skipped_a_two_day_item_from_friday_runs_to_monday():
    friday = MONDAY + timedelta(days=4)
    items = [ItemToPlace(key=1, request=1, hours=16, province=6)]
    trainers = [TrainerPlan(key=10, home_province=6)]
    proposal = propose(items, trainers, first_day=friday, last_day=friday + timedelta(days=3), tz=TZ)
    assert [(p.starts_at, p.ends_at, p.days) for p in proposal.placements] == [
        (on(friday, 9), on(friday + timedelta(days=3), 17), 2)
    ]


def test_a_placement_gives_each_day_of_its_run_with_its_own_hours():
    friday = MONDAY + timedelta(days=4)
    items = [ItemToPlace(key=1, request=1, hours=12, province=6)]
    trainers = [TrainerPlan(key=10, home_province=6)]
    proposal = propose(items, trainers, first_day=friday, last_day=friday + timedelta(days=3), tz=TZ)
    monday = friday + timedelta(days=3)
    assert [p.slots for p in proposal.placements] == [
        ((on(friday, 9), on(friday, 17)), (on(monday, 9), on(monday, 13)))
    ]
    one_day = propose(
        [ItemToPlace(key=1, request=1, hours=4, province=6)], trainers, first_day=MONDAY, last_day=MONDAY, tz=TZ
    )
    assert [p.slots for p in one_day.placements] == [((on(MONDAY, 9), on(MONDAY, 13)),)]


def test_a_run_over_a_weekend_is_one_interval_so_a_block_on_the_saturday_is_a_conflict():
    friday = MONDAY + timedelta(days=4)
    saturday = friday + timedelta(days=1)
    trainers = [TrainerPlan(key=10, home_province=6, busy=((on(saturday, 10), on(saturday, 12)),))]
    items = [ItemToPlace(key=1, request=1, hours=16, province=6)]
    proposal = propose(items, trainers, first_day=friday, last_day=friday + timedelta(days=4), tz=TZ)
    assert [(p.starts_at, p.ends_at) for p in proposal.placements] == [
        (on(friday + timedelta(days=3), 9), on(friday + timedelta(days=4), 17))  # Monday-Tuesday
    ]


def test_a_range_of_only_a_weekend_places_nothing_and_says_there_is_no_working_day():
    saturday = MONDAY + timedelta(days=5)
    items = [ItemToPlace(key=1, request=1, hours=4, province=6)]
    proposal = propose(
        items, [TrainerPlan(key=10, home_province=6)], first_day=saturday, last_day=saturday + timedelta(days=1), tz=TZ
    )
    assert proposal.placements == []
    assert [(u.item, u.reason) for u in proposal.unplaced] == [(1, NO_DAYS)]


def test_an_impossible_item_is_reported_with_its_reason():
    trainers = [
        TrainerPlan(
            key=10, home_province=6, busy=((on(MONDAY + timedelta(days=7), 0), on(MONDAY + timedelta(days=8), 0)),)
        ),
    ]
    next_monday = MONDAY + timedelta(days=7)
    items = [
        # 24 hours need 3 working days; the window has 2.
        ItemToPlace(key=1, request=1, hours=24, province=6, windows=((MONDAY, MONDAY + timedelta(days=1)),)),
        # The window is outside the range.
        ItemToPlace(key=2, request=2, hours=4, province=6, windows=((date(2025, 6, 2), date(2025, 6, 6)),)),
        # The only trainer is unavailable on the only day of the window.
        ItemToPlace(key=3, request=3, hours=8, province=6, windows=((next_monday, next_monday),)),
        # Two items for the same single day and trainer: one of them cannot have it.
        ItemToPlace(key=4, request=4, hours=8, province=6, windows=((MONDAY + timedelta(days=2),) * 2,)),
        ItemToPlace(key=5, request=5, hours=8, province=6, windows=((MONDAY + timedelta(days=2),) * 2,)),
    ]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=MONDAY + timedelta(days=11), tz=TZ)
    assert [p.item for p in proposal.placements] == [4]
    assert [(u.item, u.reason) for u in proposal.unplaced] == [(1, NO_DAYS), (2, NO_DAYS), (3, ALL_BUSY), (5, TAKEN)]
    assert all(u.reason and u.reason.isascii() for u in proposal.unplaced)


def test_without_trainers_every_item_is_reported_unplaced():
    items = [ItemToPlace(key=1, request=1, hours=8, province=6)]
    proposal = propose(items, [], first_day=MONDAY, last_day=MONDAY, tz=TZ)
    assert proposal.placements == []
    assert [(u.item, u.reason) for u in proposal.unplaced] == [(1, NO_TRAINERS)]
    assert proposal.load() == {}
    assert proposal.load_gap() == 0


def test_the_repair_pass_moves_a_placement_to_make_room():
    # Monday to Wednesday; trainer 10 is off on Monday. The Wednesday item (fewest options) goes
    # first, to trainer 10; item 1 takes trainer 20 from Monday; item 3 is then left out. Repair:
    # item 3 takes trainer 10 on Tuesday-Wednesday and the Wednesday item moves to trainer 20.
    wednesday = MONDAY + timedelta(days=2)
    trainers = [
        TrainerPlan(key=10, home_province=6, busy=((on(MONDAY, 0), on(MONDAY + timedelta(days=1), 0)),)),
        TrainerPlan(key=20, home_province=34),
    ]
    items = [
        ItemToPlace(key=1, request=1, hours=16, province=6, windows=((MONDAY, wednesday),)),
        ItemToPlace(key=2, request=2, hours=8, province=7, windows=((wednesday, wednesday),)),
        ItemToPlace(key=3, request=3, hours=16, province=7, windows=((MONDAY, wednesday),)),
    ]
    proposal = propose(items, trainers, first_day=MONDAY, last_day=wednesday, tz=TZ)
    assert_valid(proposal, items, trainers, first_day=MONDAY, last_day=wednesday)
    assert proposal.unplaced == []
    assert {p.item: (p.trainer, p.starts_at.date()) for p in proposal.placements} == {
        1: (20, MONDAY),
        2: (20, wednesday),
        3: (10, MONDAY + timedelta(days=1)),
    }


def test_the_proposal_is_deterministic_same_input_same_output():
    items, trainers, first, last = random_scenario(42)
    one = propose(items, trainers, first_day=first, last_day=last, tz=TZ)
    again = propose(list(items), list(trainers), first_day=first, last_day=last, tz=TZ)
    assert one == again
    assert one.placements


def test_naive_busy_datetimes_are_refused():
    naive = datetime(2025, 3, 3, 9)  # noqa: DTZ001 - the point of the test
    trainers = [TrainerPlan(key=10, home_province=6, busy=((naive, naive + timedelta(hours=8)),))]
    with pytest.raises(ValueError, match="naive"):
        propose([], trainers, first_day=MONDAY, last_day=MONDAY, tz=TZ)


def test_importing_the_engine_does_not_import_django():
    code = "import sys, sessions.proposal; print(sorted(m for m in sys.modules if m.split('.')[0] == 'django'))"
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "[]"
