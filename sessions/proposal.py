"""Schedule proposals for on-site training requests: which trainer teaches which request item, and when.

Pure Python, no Django: a service reads the open request items, the trainers, their sessions and
unavailability blocks, calls :func:`propose` and shows the result to programme staff, who accept
it item by item. Importing this module imports no model.

Placement rule
    An item of H hours takes D = ceil(H / hours_per_day) consecutive *working* days (days whose
    weekday is in ``workdays``; the days off between them are skipped, so Friday + Monday is a
    2-day run). It is one half-open interval, in local time in ``tz``: from ``day_start`` on the
    first day to ``day_start`` + (H - hours_per_day * (D - 1)) hours on the last day. With the
    defaults: 4 hours is 09:00-13:00, 8 hours 09:00-17:00, 12 hours Monday 09:00 to Tuesday
    13:00, 24 hours Monday 09:00 to Wednesday 17:00. The interval covers the nights (and the
    weekend) between its days, so a trainer with a block on the Saturday of a Friday-Monday run
    is not free for it: conservative, and a trainer on an on-site run is away for all of it.
    Touching is not a conflict (a session ending at 17:00, another starting at 17:00). Every day
    lies in [first_day, last_day] and, when the item has preferred windows, the whole run lies
    inside one window (clipped to the range).

Algorithm
    A greedy heuristic, "most constrained first" (the fail-first rule of constraint programming,
    DSATUR in graph colouring), then a repair pass:

    1. Options. For a trainer and an item length, the start days on which the trainer is free are
       a bit mask over the working days (bit i: the run starting on the i-th working day). It is
       computed once from the trainer's busy intervals: the candidate runs are sorted by start and
       by end, so the runs one interval overlaps are a contiguous range found with two bisects.
       An item's options with a trainer are that mask AND the mask of its preferred windows.
    2. Greedy. Repeatedly take the open item with the fewest (trainer, start day) options (ties:
       more hours first, then input order) and give it the option minimizing (the trainer's hours
       proposed so far, less ``HOME_BONUS`` when the trainer's home province is the request's;
       home before away; the start day; the trainer's input order). Home-province trainers are
       thus preferred, but not to the point of piling a busy province's work on one of them.
       Placing a run updates that trainer's masks and the option counts of the open items, both
       incrementally, so a step costs O(open items), not a new search.
    3. Repair. An item left out only because other items of this proposal took its trainers is
       retried by an ejection chain: take a run of its where at most 2 placements are in the way,
       put those back in the same way (up to 3 levels deep, at most 300 runs tried per item), and
       roll everything back when the chain fails. Of 1,000 generated scenarios feasible by
       construction (``feasible_scenario`` in tests/sessions/test_proposal.py), the greedy alone
       leaves an item out in 95; with the repair, in none.

Why not an exact solver (CP-SAT, a MILP)? The heuristic runs in milliseconds for a programme's
size (300 items, 20 trainers, 3 months), is deterministic (same input, same output: no time limit
or thread count changing the answer), each choice is explainable to staff (the trainer from the
province unless already well above the others, else the least loaded, then the earliest day),
and it adds no native dependency of tens of megabytes to the portal. The trade-off: it may miss
a complete placement that exists, and its load balance is good rather than optimal; staff review
every item anyway.

Reasons given for an unplaced item are the module constants ``NO_DAYS``, ``ALL_BUSY``, ``TAKEN``
and ``NO_TRAINERS`` (English, fixed strings: a caller can map them to translations).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

__all__ = [
    "ALL_BUSY",
    "NO_DAYS",
    "NO_TRAINERS",
    "TAKEN",
    "ItemToPlace",
    "Placement",
    "Proposal",
    "TrainerPlan",
    "Unplaced",
    "first_fit",
    "propose",
]

# "In the preferred windows" means the whole date range for an item without windows.
NO_DAYS = "no run of enough consecutive working days in the date range and preferred windows"
ALL_BUSY = "every trainer is busy or unavailable in the preferred windows"
TAKEN = "every trainer free in the preferred windows is taken by other items of this proposal"
NO_TRAINERS = "no trainer to propose"

WEEKDAYS = frozenset({0, 1, 2, 3, 4})

# The repair pass: ejection chains up to REPAIR_DEPTH levels, at most MAX_EJECTED placements
# taken out per run tried, at most REPAIR_BUDGET runs tried per unplaced item and
# REPAIR_BUDGET_PER_ITEM times the number of items in all.
REPAIR_DEPTH = 3
MAX_EJECTED = 2
REPAIR_BUDGET = 300
REPAIR_BUDGET_PER_ITEM = 20

# A trainer from the request's province counts as having HOME_BONUS fewer proposed hours: home
# first, unless that trainer is already more than HOME_BONUS hours (3 days of teaching) above the
# least loaded free one. A huge value makes home strictly first, which lets one busy province pile
# its work on its trainer (bench/scheduling.py, seed 2012: load gap 200 h instead of 28 h).
HOME_BONUS = 24

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class ItemToPlace:
    """A request item still to schedule."""

    key: int  # request item id
    request: int  # request id
    hours: int  # hours still to schedule (> 0)
    province: int  # plate code, 1-81
    windows: tuple[tuple[date, date], ...] = ()  # preferred windows, inclusive; () = any day in the range


@dataclass(frozen=True)
class TrainerPlan:
    """A trainer, with what already fills the calendar."""

    key: int  # trainer id
    home_province: int
    busy: tuple[tuple[datetime, datetime], ...] = ()  # sessions and unavailability: aware, half-open [start, end)


@dataclass(frozen=True)
class Placement:
    """One item given to one trainer: ``[starts_at, ends_at)`` over ``days`` working days.

    ``slots`` are the teaching hours of each of those days, ``(start, end)`` in local time: the
    interval covers the nights and days off between them, the slots do not (12 hours from Monday
    09:00 to Tuesday 13:00 are Monday 09:00-17:00 and Tuesday 09:00-13:00)."""

    item: int
    trainer: int
    starts_at: datetime
    ends_at: datetime
    hours: int
    days: int
    home: bool  # the trainer's home province is the request's province
    slots: tuple[tuple[datetime, datetime], ...]


@dataclass(frozen=True)
class Unplaced:
    """An item the proposal could not place, and why (one of the module's reason constants)."""

    item: int
    reason: str


@dataclass
class Proposal:
    """Placements and unplaced items, each in the order the items were given.

    ``trainers`` holds the keys of all trainers given, so that :meth:`load` counts idle ones."""

    placements: list[Placement]
    unplaced: list[Unplaced]
    trainers: tuple[int, ...] = ()

    def load(self) -> dict[int, int]:
        """Hours proposed per trainer key, every trainer given included (0 when idle)."""
        hours = dict.fromkeys(self.trainers, 0)
        for placement in self.placements:
            hours[placement.trainer] = hours.get(placement.trainer, 0) + placement.hours
        return hours

    def load_gap(self) -> int:
        """Most minus least hours proposed to a trainer (0 without trainers)."""
        hours = self.load().values()
        return max(hours) - min(hours) if hours else 0


def _micros(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (exact, comparable across zones)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment!r}: busy intervals must be timezone-aware")
    return (moment - _EPOCH) // _MICROSECOND


def _span(low: int, high: int) -> int:
    """Bits low..high-1 set (0 when high <= low)."""
    return ((1 << (high - low)) - 1) << low if high > low else 0


def _lowest(mask: int) -> int:
    """Index of the lowest set bit of a non-zero mask."""
    return (mask & -mask).bit_length() - 1


class _Shape:
    """The candidate runs of an item length: run i starts on the i-th working day.

    Starts and ends both increase with i, so the runs overlapping an interval are contiguous."""

    def __init__(self, hours: int, calendar: _Calendar) -> None:
        per_day = calendar.hours_per_day
        self.hours = hours
        self.days = -(-hours // per_day)
        last_day_hours = timedelta(hours=hours - per_day * (self.days - 1))
        self.day_hours = [timedelta(hours=per_day)] * (self.days - 1) + [last_day_hours]
        working = calendar.days
        count = max(len(working) - self.days + 1, 0)
        self.starts_at = [datetime.combine(working[i], calendar.day_start, tzinfo=calendar.tz) for i in range(count)]
        self.ends_at = [
            datetime.combine(working[i + self.days - 1], calendar.day_start, tzinfo=calendar.tz) + last_day_hours
            for i in range(count)
        ]
        self.start_us = [_micros(moment) for moment in self.starts_at]
        self.end_us = [_micros(moment) for moment in self.ends_at]
        self.full = _span(0, count)

    def slots(self, start: int, calendar: _Calendar) -> tuple[tuple[datetime, datetime], ...]:
        """The teaching hours of each day of run ``start``: from ``day_start``, a full day but the last."""
        days = calendar.days[start : start + self.days]
        return tuple(
            (opens, opens + hours)
            for opens, hours in zip(
                (datetime.combine(day, calendar.day_start, tzinfo=calendar.tz) for day in days),
                self.day_hours,
                strict=True,
            )
        )

    def overlapping(self, start: int, end: int) -> int:
        """Mask of the runs overlapping the half-open interval [start, end) (microseconds)."""
        return _span(bisect_right(self.end_us, start), bisect_left(self.start_us, end))

    def in_windows(self, windows: tuple[tuple[date, date], ...], calendar: _Calendar) -> int:
        """Mask of the runs lying inside one window (all runs when there is none)."""
        if not windows:
            return self.full
        mask = 0
        for low, high in windows:
            first = bisect_left(calendar.days, max(low, calendar.first_day))
            last = bisect_right(calendar.days, min(high, calendar.last_day)) - 1
            mask |= _span(first, last - self.days + 2)
        return mask & self.full


class _Calendar:
    """The working days of the range, and the candidate runs per item length (made on demand)."""

    def __init__(
        self, first_day: date, last_day: date, tz: tzinfo, day_start: time, hours_per_day: int, workdays: frozenset[int]
    ) -> None:
        if hours_per_day < 1:
            raise ValueError("hours_per_day must be at least 1")
        self.first_day, self.last_day, self.tz = first_day, last_day, tz
        self.day_start, self.hours_per_day = day_start, hours_per_day
        self.days: list[date] = []
        day = first_day
        while day <= last_day:
            if day.weekday() in workdays:
                self.days.append(day)
            day += timedelta(days=1)
        self._shapes: dict[int, _Shape] = {}

    def shape(self, hours: int) -> _Shape:
        if hours not in self._shapes:
            self._shapes[hours] = _Shape(hours, self)
        return self._shapes[hours]


class _Timeline:
    """A trainer's busy time as disjoint half-open intervals, sorted: free-checks by bisect."""

    def __init__(self, intervals: Iterable[tuple[int, int]] = ()) -> None:
        merged: list[list[int]] = []
        for start, end in sorted(pair for pair in intervals if pair[0] < pair[1]):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [start for start, _ in merged]
        self.ends = [end for _, end in merged]

    def is_free(self, start: int, end: int) -> bool:
        # Disjoint and sorted, so ends are sorted too: only the last interval starting before
        # ``end`` can reach past ``start``.
        before = bisect_left(self.starts, end) - 1
        return before < 0 or self.ends[before] <= start

    def add(self, start: int, end: int) -> None:
        """Add a free interval (the caller checked :meth:`is_free`)."""
        at = bisect_left(self.starts, start)
        self.starts.insert(at, start)
        self.ends.insert(at, end)


class _Trainer:
    """A trainer's state during a proposal: free-start masks per item length, load, placements."""

    def __init__(self, index: int, plan: TrainerPlan, shapes: Iterable[_Shape]) -> None:
        self.index, self.key, self.home = index, plan.key, plan.home_province
        self.busy = _Timeline((_micros(start), _micros(end)) for start, end in plan.busy)
        self.static: dict[int, int] = {}  # free of the busy intervals, per item length
        for shape in shapes:
            mask = shape.full
            for start, end in zip(self.busy.starts, self.busy.ends, strict=True):
                mask &= ~shape.overlapping(start, end)
            self.static[shape.hours] = mask
        self.free = dict(self.static)  # also free of this proposal's placements
        self.load = 0
        self.placed = _Timeline()  # this proposal's placements, disjoint
        self.placed_items: list[int] = []  # item index per placed interval, same order

    def blockers(self, start: int, end: int) -> list[int]:
        """Items of this proposal on this trainer overlapping [start, end)."""
        low = bisect_right(self.placed.ends, start)
        high = bisect_left(self.placed.starts, end)
        return self.placed_items[low:high]


def _preference(trainer: _Trainer, province: int) -> tuple[int, bool]:
    """How much a trainer is wanted for an item in ``province``, smaller first: the trainer's
    proposed hours, less ``HOME_BONUS`` in the trainer's home province; home first on a tie."""
    away = trainer.home != province
    return trainer.load - (0 if away else HOME_BONUS), away


class _Plan:
    """Inputs checked and indexed, the assignment being built, and the result."""

    def __init__(
        self,
        items: Sequence[ItemToPlace],
        trainers: Sequence[TrainerPlan],
        *,
        first_day: date,
        last_day: date,
        tz: tzinfo,
        day_start: time,
        hours_per_day: int,
        workdays: frozenset[int],
    ) -> None:
        self.items = list(items)
        if len({item.key for item in self.items}) != len(self.items):
            raise ValueError("item keys must be unique")
        if len({trainer.key for trainer in trainers}) != len(trainers):
            raise ValueError("trainer keys must be unique")
        for item in self.items:
            if item.hours <= 0:
                raise ValueError(f"item {item.key}: hours must be positive")
        self.calendar = _Calendar(first_day, last_day, tz, day_start, hours_per_day, workdays)
        self.shapes = [self.calendar.shape(hours) for hours in sorted({item.hours for item in self.items})]
        self.shape_of = [self.calendar.shape(item.hours) for item in self.items]
        self.windows = [
            shape.in_windows(item.windows, self.calendar) for item, shape in zip(self.items, self.shape_of, strict=True)
        ]
        self.trainers = [_Trainer(index, trainer, self.shapes) for index, trainer in enumerate(trainers)]
        self.assigned: dict[int, tuple[_Trainer, int]] = {}  # item index -> (trainer, start index)
        self.journal: list[tuple[bool, int, _Trainer, int]] = []  # (placed?, item, trainer, start), for rollback

    def run(self, item: int, start: int) -> tuple[int, int]:
        shape = self.shape_of[item]
        return shape.start_us[start], shape.end_us[start]

    def best_option(self, item: int, exclude: _Trainer | None = None) -> tuple[_Trainer, int] | None:
        """The option minimizing (load less the home bonus, not home, start day, trainer order), or None."""
        hours, province, windows = self.items[item].hours, self.items[item].province, self.windows[item]
        best = None
        for trainer in self.trainers:
            if trainer is exclude:
                continue
            free = windows & trainer.free[hours]
            if free:
                key = (*_preference(trainer, province), _lowest(free), trainer.index)
                if best is None or key < best[0]:
                    best = (key, trainer, key[2])
        return None if best is None else (best[1], best[2])

    def place(
        self,
        item: int,
        trainer: _Trainer,
        start: int,
        counts: list[int] | None = None,
        open_by_hours: dict[int, set[int]] | None = None,
    ) -> None:
        """Give ``item`` to ``trainer`` from working day ``start``; with ``counts``, lower the
        option counts of the open items (grouped by hours in ``open_by_hours``) it takes away."""
        begin, end = self.run(item, start)
        self.assigned[item] = (trainer, start)
        self.journal.append((True, item, trainer, start))
        trainer.load += self.items[item].hours
        at = bisect_left(trainer.placed.starts, begin)
        trainer.placed.add(begin, end)
        trainer.placed_items.insert(at, item)
        for shape in self.shapes:
            taken = trainer.free[shape.hours] & shape.overlapping(begin, end)
            if not taken:
                continue
            trainer.free[shape.hours] &= ~taken
            if counts is not None and open_by_hours is not None:
                for other in open_by_hours[shape.hours]:
                    counts[other] -= (self.windows[other] & taken).bit_count()

    def unplace(self, item: int) -> None:
        """Take ``item`` back from its trainer and free the runs it alone blocked."""
        trainer, start = self.assigned.pop(item)
        self.journal.append((False, item, trainer, start))
        trainer.load -= self.items[item].hours
        at = trainer.placed_items.index(item)
        begin, end = trainer.placed.starts[at], trainer.placed.ends[at]
        del trainer.placed_items[at], trainer.placed.starts[at], trainer.placed.ends[at]
        for shape in self.shapes:
            # Only the runs the item overlapped can become free: give them back unless the busy
            # intervals or another placement near them (one overlapping their span) still block.
            region = shape.overlapping(begin, end)
            if not region:
                continue
            low, high = shape.start_us[_lowest(region)], shape.end_us[region.bit_length() - 1]
            mask = trainer.free[shape.hours] | (region & trainer.static[shape.hours])
            near = slice(bisect_right(trainer.placed.ends, low), bisect_left(trainer.placed.starts, high))
            for other_begin, other_end in zip(trainer.placed.starts[near], trainer.placed.ends[near], strict=True):
                mask &= ~shape.overlapping(other_begin, other_end)
            trainer.free[shape.hours] = mask

    def rollback(self, mark: int) -> None:
        """Undo every place and unplace since ``len(self.journal)`` was ``mark``."""
        while len(self.journal) > mark:
            placed, item, trainer, start = self.journal.pop()
            if placed:
                self.unplace(item)
            else:
                self.place(item, trainer, start)
            self.journal.pop()  # the undo's own entry

    def insert(self, item: int, depth: int, budget: list[int], fixed: frozenset[int] = frozenset()) -> bool:
        """Place ``item`` directly or, ``depth`` levels deep, by an ejection chain: take a run
        blocked by at most ``MAX_EJECTED`` placements (none in ``fixed``), give it to ``item``
        and insert the ejected items again the same way. Each run tried costs one unit of
        ``budget[0]``; a failed try is rolled back, so on False nothing has changed."""
        option = self.best_option(item)
        if option:
            self.place(item, *option)
            return True
        if depth == 0:
            return False
        province, windows, hours = self.items[item].province, self.windows[item], self.items[item].hours
        fixed = fixed | {item}
        for trainer in sorted(self.trainers, key=lambda t: (*_preference(t, province), t.index)):
            candidates = windows & trainer.static[hours]
            while candidates:
                start = _lowest(candidates)
                candidates &= candidates - 1
                ejected = trainer.blockers(*self.run(item, start))
                if len(ejected) > MAX_EJECTED or not fixed.isdisjoint(ejected):
                    continue
                if budget[0] <= 0:
                    return False
                budget[0] -= 1
                mark = len(self.journal)
                for other in ejected:
                    self.unplace(other)
                self.place(item, trainer, start)
                if all(self.insert(other, depth - 1, budget, fixed) for other in ejected):
                    return True
                self.rollback(mark)
        return False

    def reason(self, item: int) -> str:
        if not self.windows[item]:
            return NO_DAYS
        if not self.trainers:
            return NO_TRAINERS
        hours = self.items[item].hours
        if not any(self.windows[item] & trainer.static[hours] for trainer in self.trainers):
            return ALL_BUSY
        return TAKEN

    def result(self) -> Proposal:
        placements, unplaced = [], []
        for index, item in enumerate(self.items):
            if index not in self.assigned:
                unplaced.append(Unplaced(item=item.key, reason=self.reason(index)))
                continue
            trainer, start = self.assigned[index]
            shape = self.shape_of[index]
            placements.append(
                Placement(
                    item=item.key,
                    trainer=trainer.key,
                    starts_at=shape.starts_at[start],
                    ends_at=shape.ends_at[start],
                    hours=item.hours,
                    days=shape.days,
                    home=trainer.home == item.province,
                    slots=shape.slots(start, self.calendar),
                )
            )
        return Proposal(placements=placements, unplaced=unplaced, trainers=tuple(t.key for t in self.trainers))


def propose(
    items: Sequence[ItemToPlace],
    trainers: Sequence[TrainerPlan],
    *,
    first_day: date,
    last_day: date,
    tz: tzinfo,
    day_start: time = time(9, 0),
    hours_per_day: int = 8,
    workdays: frozenset[int] = WEEKDAYS,
) -> Proposal:
    """A conflict-free placement of ``items`` on ``trainers`` between ``first_day`` and
    ``last_day``: most constrained item first, home-province trainer first, then the least loaded,
    then the earliest day; then a repair pass. Deterministic. See the module docstring for the
    placement rule. Raises ``ValueError`` on duplicate keys, non-positive hours or a naive busy
    datetime."""
    plan = _Plan(
        items,
        trainers,
        first_day=first_day,
        last_day=last_day,
        tz=tz,
        day_start=day_start,
        hours_per_day=hours_per_day,
        workdays=workdays,
    )
    counts = [
        sum((plan.windows[i] & trainer.free[item.hours]).bit_count() for trainer in plan.trainers)
        for i, item in enumerate(plan.items)
    ]
    open_items = set(range(len(plan.items)))
    open_by_hours: dict[int, set[int]] = {shape.hours: set() for shape in plan.shapes}
    for i, item in enumerate(plan.items):
        open_by_hours[item.hours].add(i)
    left: list[int] = []
    while open_items:
        item = min(open_items, key=lambda i: (counts[i], -plan.items[i].hours, i))
        open_items.discard(item)
        open_by_hours[plan.items[item].hours].discard(item)
        if counts[item] == 0:
            left.append(item)
            continue
        option = plan.best_option(item)
        if option is None:  # counts and masks agree, so this does not happen: a guard
            left.append(item)
            continue
        plan.place(item, *option, counts=counts, open_by_hours=open_by_hours)

    repairable = [item for item in left if plan.reason(item) == TAKEN]
    total = REPAIR_BUDGET_PER_ITEM * len(plan.items)  # bounds the time when demand exceeds capacity
    progress = True
    while progress and repairable and total > 0:
        progress = False
        for item in list(repairable):
            budget = [min(REPAIR_BUDGET, total)]
            placed = plan.insert(item, REPAIR_DEPTH, budget)
            total -= min(REPAIR_BUDGET, total) - budget[0]
            if placed:
                repairable.remove(item)
                progress = True
    return plan.result()


def first_fit(
    items: Sequence[ItemToPlace],
    trainers: Sequence[TrainerPlan],
    *,
    first_day: date,
    last_day: date,
    tz: tzinfo,
    day_start: time = time(9, 0),
    hours_per_day: int = 8,
    workdays: frozenset[int] = WEEKDAYS,
) -> Proposal:
    """The naive baseline: items in the given order, each to the first trainer in the given order
    on the earliest day that fits (checked against sorted busy lists); no home preference, no
    load balancing. Same placement rule, same reasons as :func:`propose`."""
    plan = _Plan(
        items,
        trainers,
        first_day=first_day,
        last_day=last_day,
        tz=tz,
        day_start=day_start,
        hours_per_day=hours_per_day,
        workdays=workdays,
    )
    timelines = [_Timeline(zip(trainer.busy.starts, trainer.busy.ends, strict=True)) for trainer in plan.trainers]
    for item in range(len(plan.items)):
        found = _first_free(plan, timelines, item)
        if found is not None:
            trainer, start = found
            timelines[trainer.index].add(*plan.run(item, start))
            plan.assigned[item] = (trainer, start)
    return plan.result()


def _first_free(plan: _Plan, timelines: list[_Timeline], item: int) -> tuple[_Trainer, int] | None:
    for trainer in plan.trainers:
        candidates = plan.windows[item]
        while candidates:
            start = _lowest(candidates)
            candidates &= candidates - 1
            if timelines[trainer.index].is_free(*plan.run(item, start)):
                return trainer, start
    return None
