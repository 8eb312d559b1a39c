"""Schedule proposals for 300 request items, 20 trainers, 3 months.

``sessions.proposal.propose`` (most constrained item first, home-province trainer, least loaded,
earliest day, ejection-chain repair) against the naive ``first_fit`` baseline (items in order,
first trainer and earliest day that fit) on the same seeded input: 300 request items of 4 to 24
hours from requests in all 81 provinces (more from the large ones), 60% with preferred windows;
20 trainers with home provinces, leave, part-day unavailability and sessions already booked;
1 September to 28 November 2025, with the 29 October holiday blocking everyone. Measured: time
to propose (median of the runs), items placed, placements in the home province, load per
trainer (max, min, gap) and a conflict check done here, independently of the engine.

Target: propose under 10 s, no conflict, at least as many items placed as first-fit, with a
smaller max-min load gap.

Run: ``.venv/bin/python bench/scheduling.py [--items N] [--trainers N] [--seed N] [--runs N]``;
``--profile FILE`` writes a cProfile of one propose run. No Django, no database.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from itertools import pairwise
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sessions.proposal import ItemToPlace, Proposal, TrainerPlan, first_fit, propose

TARGET_SECONDS = 10
TZ = ZoneInfo("Europe/Istanbul")
FIRST_DAY, LAST_DAY = date(2025, 9, 1), date(2025, 11, 28)
HOLIDAY = date(2025, 10, 29)  # Cumhuriyet Bayramı
LARGE = (6, 34, 35, 41, 16, 7, 1, 42)  # Ankara, İstanbul, İzmir, Kocaeli, Bursa, Antalya, Adana, Konya
HOURS = (4, 8, 8, 12, 16, 16, 20, 24)


def midnight(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), tzinfo=TZ)


def build(*, n_items: int, n_trainers: int, seed: int) -> tuple[list[ItemToPlace], list[TrainerPlan]]:
    """Seeded items (from requests of 1-3 items) and trainers (home, leave, bookings)."""
    rng = random.Random(seed)
    span = (LAST_DAY - FIRST_DAY).days
    homes = list(LARGE[:4]) + rng.sample([p for p in range(1, 82) if p not in LARGE[:4]], n_trainers - 4)
    trainers = []
    for key, home in enumerate(sorted(homes), start=1):
        busy = [(midnight(HOLIDAY), midnight(HOLIDAY + timedelta(days=1)))]
        for _ in range(rng.randint(0, 2)):  # leave, weekends included
            first = FIRST_DAY + timedelta(days=rng.randint(0, span))
            busy.append((midnight(first), midnight(first + timedelta(days=rng.randint(1, 10)))))
        for _ in range(rng.randint(0, 3)):  # part of a day
            start = midnight(FIRST_DAY + timedelta(days=rng.randint(0, span))) + timedelta(hours=rng.randint(8, 16))
            busy.append((start, start + timedelta(hours=rng.randint(1, 4))))
        for _ in range(rng.randint(2, 6)):  # sessions already booked
            start = midnight(FIRST_DAY + timedelta(days=rng.randint(0, span))) + timedelta(hours=9)
            busy.append((start, start + timedelta(days=rng.randint(0, 2), hours=rng.choice((4, 8)))))
        trainers.append(TrainerPlan(key=key, home_province=home, busy=tuple(busy)))
    items: list[ItemToPlace] = []
    request = 0
    while len(items) < n_items:
        request += 1
        province = rng.choice(LARGE) if rng.random() < 0.4 else rng.randint(1, 81)
        windows = []
        for _ in range(rng.choices((0, 1, 2), weights=(40, 45, 15))[0]):
            low = FIRST_DAY + timedelta(days=rng.randint(-7, span - 3))
            windows.append((low, low + timedelta(days=rng.randint(4, 20))))
        for _ in range(min(rng.randint(1, 3), n_items - len(items))):
            items.append(
                ItemToPlace(
                    key=len(items) + 1,
                    request=request,
                    hours=rng.choice(HOURS),
                    province=province,
                    windows=tuple(windows),
                )
            )
    return items, trainers


def conflicts(proposal: Proposal, items: list[ItemToPlace], trainers: list[TrainerPlan]) -> int:
    """Placements that overlap a busy block or another placement of the trainer, leave the range
    or their windows, or start on a weekend; items placed twice. Checked here, not trusted."""
    windows = {item.key: item.windows for item in items}
    busy = {trainer.key: trainer.busy for trainer in trainers}
    bad = len(proposal.placements) - len({p.item for p in proposal.placements})
    per_trainer: dict[int, list[tuple[datetime, datetime]]] = {}
    for p in proposal.placements:
        first, last = p.starts_at.astimezone(TZ).date(), p.ends_at.astimezone(TZ).date()
        bad += any(start < p.ends_at and p.starts_at < end for start, end in busy[p.trainer])
        bad += not (first >= FIRST_DAY and last <= LAST_DAY) or first.weekday() > 4 or last.weekday() > 4
        bad += bool(windows[p.item]) and not any(low <= first and last <= high for low, high in windows[p.item])
        per_trainer.setdefault(p.trainer, []).append((p.starts_at, p.ends_at))
    for runs in per_trainer.values():
        bad += sum(earlier[1] > later[0] for earlier, later in pairwise(sorted(runs)))
    return bad


def run(label: str, engine, items, trainers, runs: int) -> tuple[Proposal, float]:
    timings = []
    for _ in range(runs):
        began = time.perf_counter()
        proposal = engine(items, trainers, first_day=FIRST_DAY, last_day=LAST_DAY, tz=TZ)
        timings.append(time.perf_counter() - began)
    seconds = statistics.median(timings)
    load = proposal.load().values()
    home = sum(p.home for p in proposal.placements)
    reasons = Counter(u.reason for u in proposal.unplaced)
    print(
        f"  {label:<9} {seconds * 1000:8.1f} ms  placed {len(proposal.placements):>3}/{len(items)}  "
        f"home {home:>3}  load max {max(load):>3} h  min {min(load):>3} h  gap {proposal.load_gap():>3} h  "
        f"conflicts {conflicts(proposal, items, trainers)}"
    )
    for reason, count in reasons.most_common():
        print(f"  {'':<9} unplaced {count:>3}: {reason}")
    return proposal, seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--trainers", type=int, default=20)
    parser.add_argument("--seed", type=int, default=2012)
    parser.add_argument("--runs", type=int, default=5, help="timed runs of each engine (the median is shown)")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of one propose run (pstats)")
    args = parser.parse_args()

    items, trainers = build(n_items=args.items, n_trainers=args.trainers, seed=args.seed)
    working = sum(1 for n in range((LAST_DAY - FIRST_DAY).days + 1) if (FIRST_DAY + timedelta(n)).weekday() < 5)
    print(
        f"scheduling: {len(items)} items ({sum(i.hours for i in items):,} h) of {items[-1].request} requests, "
        f"{len(trainers)} trainers (homes in {len({t.home_province for t in trainers})} provinces), "
        f"{FIRST_DAY}..{LAST_DAY} ({working} working days), seed {args.seed}"
    )
    proposed, seconds = run("propose", propose, items, trainers, args.runs)
    naive, _ = run("first_fit", first_fit, items, trainers, args.runs)

    clean = conflicts(proposed, items, trainers) == 0 and conflicts(naive, items, trainers) == 0
    placed, placed_naive = len(proposed.placements), len(naive.placements)
    met = seconds < TARGET_SECONDS and clean and placed >= placed_naive and proposed.load_gap() < naive.load_gap()
    print(
        f"  target (propose < {TARGET_SECONDS} s, no conflict, placed >= first-fit, smaller load gap): "
        f"{'MET' if met else 'NOT MET'} ({seconds:.3f} s, placed {placed} vs {placed_naive}, "
        f"gap {proposed.load_gap()} h vs {naive.load_gap()} h)"
    )
    if args.profile:
        import cProfile

        cProfile.runctx(
            "propose(items, trainers, first_day=FIRST_DAY, last_day=LAST_DAY, tz=TZ)",
            globals(),
            {"items": items, "trainers": trainers},
            filename=args.profile,
        )
        print(f"  profile written to {args.profile}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
