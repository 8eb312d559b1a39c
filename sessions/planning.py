"""Glue for the centre's planning screens in the admin: the trainers' month calendar and the
schedule proposal joined back to the rows it names.

Reads only, through ``sessions.selectors``; no rule is decided here (accepting a proposed
placement goes through ``services.onsite_session_schedule`` like any scheduling).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from sessions import proposal, selectors
from sessions.models import Trainer, TrainingRequestItem, TrainingSession, Unavailability

# --- The trainers' month calendar --------------------------------------------------------------


@dataclass(frozen=True)
class CalendarEntry:
    """A session or an unavailability block as it shows in one day's cell."""

    session: TrainingSession | None
    block: Unavailability | None
    starts_at: datetime  # local
    ends_at: datetime  # local
    continues_before: bool  # began on an earlier day
    continues_after: bool  # goes on to a later day


@dataclass(frozen=True)
class CalendarDay:
    day: date
    weekend: bool
    today: bool


@dataclass(frozen=True)
class CalendarCell:
    day: CalendarDay
    entries: list[CalendarEntry]  # in time order


@dataclass(frozen=True)
class CalendarRow:
    trainer: Trainer
    cells: list[CalendarCell]  # one per day of the month


@dataclass(frozen=True)
class MonthCalendar:
    month: date  # the first day
    days: list[CalendarDay]
    rows: list[CalendarRow]
    previous: date
    next: date


def _local_day(moment: datetime, tz: tzinfo) -> date:
    return timezone.localtime(moment, tz).date()


def month_calendar(*, trainers: list[Trainer], month: date, tz: tzinfo) -> MonthCalendar:
    """The trainers' sessions and unavailability over a month, one cell per trainer and day (an
    entry over several days shows in each of them). Two queries whatever the number of trainers."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    starts = datetime.combine(first, time.min, tzinfo=tz)
    ends = datetime.combine(following, time.min, tzinfo=tz)
    sessions, blocks = selectors.trainer_work_plan(trainers=trainers, starts=starts, ends=ends)
    today = timezone.localdate(timezone=tz)
    length = (following - first).days
    days = [
        CalendarDay(day=day, weekend=day.weekday() >= 5, today=day == today)
        for day in (first + timedelta(days=n) for n in range(length))
    ]
    cells: dict[int, list[list[CalendarEntry]]] = {t.pk: [[] for _ in range(length)] for t in trainers}
    entries = [(s.trainer_id, s, None, s.starts_at, s.ends_at) for s in sessions]
    entries += [(b.trainer_id, None, b, b.starts_at, b.ends_at) for b in blocks]
    for trainer_id, session, block, starts_at, ends_at in entries:
        start_day = _local_day(starts_at, tz)
        end_day = _local_day(ends_at - timedelta(microseconds=1), tz)
        for n in range(max((start_day - first).days, 0), min((end_day - first).days, length - 1) + 1):
            cells[trainer_id][n].append(
                CalendarEntry(
                    session=session,
                    block=block,
                    starts_at=timezone.localtime(starts_at, tz),
                    ends_at=timezone.localtime(ends_at, tz),
                    continues_before=first + timedelta(days=n) > start_day,
                    continues_after=first + timedelta(days=n) < end_day,
                )
            )
    for row in cells.values():
        for cell in row:
            cell.sort(key=lambda entry: entry.starts_at)
    return MonthCalendar(
        month=first,
        days=days,
        rows=[
            CalendarRow(
                trainer=t, cells=[CalendarCell(day=d, entries=e) for d, e in zip(days, cells[t.pk], strict=True)]
            )
            for t in trainers
        ],
        previous=(first - timedelta(days=1)).replace(day=1),
        next=following,
    )


# --- The schedule proposal ---------------------------------------------------------------------

REASONS = {
    proposal.NO_DAYS: _("No run of enough consecutive working days in the date range and preferred windows."),
    proposal.ALL_BUSY: _("Every trainer is busy or unavailable in the preferred windows."),
    proposal.TAKEN: _("Every trainer free in the preferred windows is taken by other items of this proposal."),
    proposal.NO_TRAINERS: _("There is no active trainer."),
}


@dataclass(frozen=True)
class ProposedRow:
    placement: proposal.Placement
    item: TrainingRequestItem  # with its request, institution, province and course
    trainer: Trainer


@dataclass(frozen=True)
class UnplacedRow:
    item: TrainingRequestItem
    hours: int  # still to schedule
    reason: str


@dataclass(frozen=True)
class LoadRow:
    trainer: Trainer
    hours: int


@dataclass(frozen=True)
class ProposalReport:
    rows: list[ProposedRow]
    unplaced: list[UnplacedRow]
    load: list[LoadRow]
    gap: int


def proposal_report(*, program, first_day: date, last_day: date, tz: tzinfo) -> ProposalReport:
    """Run the proposal (``sessions.proposal.propose``) over the program's open request items
    and the active trainers' work plans, and join its keys back to rows (six queries)."""
    items, plans = selectors.proposal_input(program=program, first_day=first_day, last_day=last_day, tz=tz)
    result = proposal.propose(items, plans, first_day=first_day, last_day=last_day, tz=tz)
    left = {item.key: item.hours for item in items}
    rows = {
        item.pk: item
        for item in selectors.items_with_scheduled_hours()
        .filter(pk__in=left)
        .select_related("request__institution", "request__province")
    }
    trainers = {t.pk: t for t in selectors.trainer_list().filter(pk__in=[plan.key for plan in plans])}
    load = result.load()
    return ProposalReport(
        rows=[
            ProposedRow(placement=p, item=rows[p.item], trainer=trainers[p.trainer])
            for p in sorted(result.placements, key=lambda p: (p.starts_at, p.trainer, p.item))
        ],
        unplaced=[
            UnplacedRow(item=rows[u.item], hours=left[u.item], reason=str(REASONS.get(u.reason, u.reason)))
            for u in result.unplaced
        ],
        load=[LoadRow(trainer=trainers[plan.key], hours=load.get(plan.key, 0)) for plan in plans],
        gap=result.load_gap(),
    )
