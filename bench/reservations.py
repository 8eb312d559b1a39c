"""Concurrent reservation attempts at the service level.

20 clients (forked processes by default, or threads with ``--mode threads``; each with its own
database connection) make 1,000 reservation attempts over
10 announced 24-seat sessions, through ``sessions.services.reservation_create``: 200 Standard
institutions make 5 attempts each, of 1 or 2 participants, on sessions drawn at random, so some
attempts are confirmed, some waitlisted and some refused for the quota. Measured: counts,
attempts per second, p50/p95 latency per attempt. In the same run, the same clients make 1,000
plain single-row inserts (one autocommit ``INSERT`` each) as the baseline, and the ratio.

Notifications: the service queues its e-mail with ``delay_on_commit``. With a broker that is a
publish and the e-mail is another process's work, so by default the benchmark records the call
and sends nothing (``--notifications off``); ``--notifications eager`` runs the e-mail task in the
client after commit, as the embedded default without a broker does (e-mails to a dummy backend).

Target (PostgreSQL): at least 150 attempts per second, p95 under 100 ms, zero over-booking
(confirmed per session <= capacity, live reservations per institution <= quota).

Run: ``.venv/bin/python bench/reservations.py`` (a fresh PostgreSQL database ``kamusm_bench`` on
``BENCH_POSTGRES_URL``, default ``postgres://postgres@127.0.0.1:5432/postgres``), or with
``--sqlite`` on a fresh file under var/bench/ for comparison; ``--profile FILE`` writes a cProfile
of the service run (threads' own profiles merged).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import django_on_fresh_database, django_on_fresh_postgres

TARGET_RATE = 150  # attempts per second
TARGET_P95_MS = 100


def build(*, institutions: int, sessions: int, attempts_per_institution: int, seed: int) -> list[dict]:
    """Sessions, institutions (Standard band, an official user each) and their participants.
    Returns the attempts, shuffled: ``{"session", "participants", "by"}``."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from entitlements.models import Institution, Program, Unit, UnitLevel
    from entitlements.services import entitlement_recompute
    from sessions.models import Course, Participant, SessionStatus, TrainingSession, Venue

    rng = random.Random(seed)
    program = Program.objects.get(year=2012)
    course = Course.objects.get(code="EIMZA-101")
    venue = Venue.objects.filter(province_id=6).first()
    start = timezone.now() + timezone.timedelta(days=30)
    made = TrainingSession.objects.bulk_create(
        TrainingSession(
            program=program,
            course=course,
            venue=venue,
            starts_at=start + timezone.timedelta(days=i),
            ends_at=start + timezone.timedelta(days=i, hours=4),
            capacity=program.classroom_size,
            status=SessionStatus.ANNOUNCED,
            announced_at=timezone.now(),
        )
        for i in range(sessions)
    )
    sessions_made = list(made)  # loaded, as the portal and the API pass them
    Institution.objects.bulk_create(
        Institution(name=f"Bench Kurum {i:04d}", code=f"BR{i:06d}", kind="other", search_key=f"bench kurum {i:04d}")
        for i in range(institutions)
    )
    institution_ids = list(Institution.objects.order_by("pk").values_list("pk", flat=True))
    Unit.objects.bulk_create(
        Unit(institution_id=pk, level=UnitLevel.MERKEZ, name="Merkez", active_users=50) for pk in institution_ids
    )
    entitlement_recompute(institutions=Institution.objects.filter(pk__in=institution_ids))
    users = get_user_model().objects.bulk_create(
        get_user_model()(username=f"bench{i:04d}", password="!") for i in range(institutions)
    )
    units = dict(Unit.objects.filter(institution_id__in=institution_ids).values_list("institution_id", "pk"))
    plan = []  # (institution, user, sizes)
    for institution_id, user in zip(institution_ids, users, strict=True):
        sizes = [rng.choice((1, 2)) for _ in range(attempts_per_institution)]
        plan.append((institution_id, user, sizes))
    Participant.objects.bulk_create(
        Participant(
            institution_id=institution_id,
            unit_id=units[institution_id],
            first_name=f"Katılımcı{n}",
            last_name=f"K{institution_id}",
            email=f"k{institution_id}.{n}@bench.gov.tr",
        )
        for institution_id, _user, sizes in plan
        for n in range(sum(sizes))
    )
    people: dict[int, list] = {}
    for participant in Participant.objects.select_related("institution").order_by("pk"):
        people.setdefault(participant.institution_id, []).append(participant)
    attempts = []
    for institution_id, user, sizes in plan:
        mine = iter(people[institution_id])
        for size in sizes:
            attempts.append(
                {
                    "session": rng.choice(sessions_made),
                    "participants": [next(mine) for _ in range(size)],
                    "by": user,
                }
            )
    rng.shuffle(attempts)
    return attempts


def _lane(mine: list, call, barrier, profile: bool) -> tuple[list[float], list, object]:
    """One client: its own connection, opened before the start; times each ``call(item)``."""
    import cProfile

    from django.db import connection

    connection.ensure_connection()  # connect before the clock starts
    profiler = cProfile.Profile() if profile else None
    barrier.wait()
    latencies, outcomes = [], []
    try:
        if profiler:
            profiler.enable()
        for item in mine:
            began = time.perf_counter()
            outcomes.append(call(item))
            latencies.append(time.perf_counter() - began)
        if profiler:
            profiler.disable()
    finally:
        connection.close()
    return latencies, outcomes, profiler


_FORKED: dict = {}


def _forked_lane(index: int):
    """A client process (forked: it inherits the work): its lane, with stats in place of a profiler."""
    import marshal
    import pstats

    latencies, outcomes, profiler = _lane(
        _FORKED["lanes"][index], _FORKED["call"], _FORKED["barrier"], _FORKED["profile"]
    )
    if profiler:
        profiler.create_stats()
        profiler = marshal.dumps(pstats.Stats(profiler).stats)
    return latencies, outcomes, profiler


def run_clients(
    clients: int, work: list, call, *, processes: bool, profile: bool = False
) -> tuple[float, list[float], list, list]:
    """Deal ``work`` round-robin to ``clients`` clients (threads of this process, or processes
    forked from it) that start together, each on its own connection; ``call(item)`` returns an
    outcome. Returns wall time, latencies (s), outcomes and the clients' profiles."""
    from django.db import connections

    lanes = [work[i::clients] for i in range(clients)]
    if processes:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        barrier = context.Barrier(clients + 1)
        connections.close_all()  # never share a connection with a child
        _FORKED.update(lanes=lanes, call=call, barrier=barrier, profile=profile)
        with context.Pool(clients) as pool:
            pending = pool.map_async(_forked_lane, range(clients), chunksize=1)
            barrier.wait()
            began = time.perf_counter()
            results = pending.get()
            wall = time.perf_counter() - began
    else:
        barrier = threading.Barrier(clients + 1)
        with ThreadPoolExecutor(max_workers=clients) as pool:
            futures = [pool.submit(_lane, mine, call, barrier, profile) for mine in lanes]
            barrier.wait()
            began = time.perf_counter()
            results = [f.result() for f in futures]
            wall = time.perf_counter() - began
    latencies = [x for r in results for x in r[0]]
    outcomes = [x for r in results for x in r[1]]
    return wall, latencies, outcomes, [r[2] for r in results if r[2]]


def attempt(item: dict) -> tuple:
    from kamusm_portal.errors import RuleViolation
    from sessions.services import reservation_create

    try:
        made = reservation_create(session=item["session"], participants=item["participants"], by=item["by"])
    except RuleViolation as exc:
        return ("refused", str(exc.code))
    except Exception as exc:  # counted and shown: the benchmark must not hide a failure
        return ("error", f"{type(exc).__name__}: {exc}")
    return ("made", tuple(r.status for r in made))


def baseline_insert(item: int) -> tuple:
    """One plain single-row insert, in autocommit: the floor of any write through Django."""
    from django.db import connection
    from django.utils import timezone

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO bench_baseline (session_id, participant_id, applied_at) VALUES (%s, %s, %s)",
            [item % 10, item, timezone.now()],
        )
    return ("inserted",)


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def report(label: str, wall: float, latencies: list[float]) -> dict:
    figures = {
        "rate": len(latencies) / wall,
        "p50": percentile(latencies, 50) * 1000,
        "p95": percentile(latencies, 95) * 1000,
        "p99": percentile(latencies, 99) * 1000,
        "max": max(latencies) * 1000,
        "wall": wall,
    }
    print(
        f"  {label:<34} {len(latencies):>5} in {wall:6.2f} s  {figures['rate']:8.1f}/s  "
        f"p50 {figures['p50']:7.2f} ms  p95 {figures['p95']:7.2f} ms  p99 {figures['p99']:7.1f} ms  "
        f"max {figures['max']:7.1f} ms",
        flush=True,
    )
    return figures


def invariants() -> tuple[bool, str]:
    """Confirmed per session <= capacity, live per institution <= quota, waiting lists 1..n."""
    from django.db.models import Count, F, Q

    from entitlements.models import Program
    from sessions.models import Reservation, TrainingSession
    from sessions.selectors import waitlist_positions

    program = Program.objects.get(year=2012)
    over_booked = TrainingSession.objects.annotate(
        confirmed=Count("reservations", filter=Q(reservations__status="confirmed"))
    ).filter(confirmed__gt=F("capacity"))
    over_quota = (
        Reservation.objects.filter(status__in=["confirmed", "waitlisted"])
        .values("institution")
        .annotate(n=Count("pk"))
        .filter(n__gt=program.classroom_quota)
    )
    bad_lists = [
        s.pk
        for s in TrainingSession.objects.all()
        if sorted(waitlist_positions(session=s).values())
        != list(range(1, s.reservations.filter(status="waitlisted").count() + 1))
    ]
    ok = not over_booked.exists() and not over_quota.exists() and not bad_lists
    top = max(
        (
            s.confirmed
            for s in TrainingSession.objects.annotate(
                confirmed=Count("reservations", filter=Q(reservations__status="confirmed"))
            )
        ),
        default=0,
    )
    most = max(
        (
            r["n"]
            for r in Reservation.objects.filter(status__in=["confirmed", "waitlisted"])
            .values("institution")
            .annotate(n=Count("pk"))
        ),
        default=0,
    )
    return ok, (
        f"most confirmed on a session {top} (capacity {program.classroom_size}), "
        f"most live for an institution {most} (quota {program.classroom_quota}), "
        f"sessions over capacity {over_booked.count()}, institutions over quota {over_quota.count()}, "
        f"waiting lists with a gap {len(bad_lists)}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", action="store_true", help="a fresh SQLite file instead of PostgreSQL")
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument(
        "--mode",
        choices=("processes", "threads"),
        default="processes",
        help="clients as forked processes (like separate app workers; default) or threads of one process",
    )
    parser.add_argument("--institutions", type=int, default=200)
    parser.add_argument("--attempts", type=int, default=5, help="attempts per institution")
    parser.add_argument("--sessions", type=int, default=10)
    parser.add_argument("--notifications", choices=("off", "eager"), default="off")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the service run (pstats)")
    args = parser.parse_args()

    os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.dummy.EmailBackend")
    os.environ.setdefault("LOG_LEVEL", "WARNING")  # no line per eager task
    if args.sqlite:
        django_on_fresh_database("reservations")
    else:
        django_on_fresh_postgres("kamusm_bench")

    from collections import Counter

    from django.db import connection

    from sessions import tasks

    if args.notifications == "off":  # a broker's publish, without a broker: nothing is sent
        for name in ("send_reservations_made", "send_reservation_promoted"):
            getattr(tasks, name).delay_on_commit = lambda *args, **kwargs: None

    attempts = build(
        institutions=args.institutions, sessions=args.sessions, attempts_per_institution=args.attempts, seed=2012
    )
    with connection.cursor() as cursor:
        serial = "INTEGER PRIMARY KEY AUTOINCREMENT" if connection.vendor == "sqlite" else "BIGSERIAL PRIMARY KEY"
        cursor.execute(
            f"CREATE TABLE bench_baseline (id {serial}, session_id INTEGER NOT NULL, "
            "participant_id INTEGER NOT NULL, applied_at TIMESTAMP WITH TIME ZONE NOT NULL)"
        )
    connection.close()
    print(
        f"reservations: {len(attempts):,} attempts by {args.institutions} institutions over {args.sessions} sessions, "
        f"{args.clients} concurrent clients ({args.mode}), {connection.vendor}, notifications {args.notifications}"
    )

    processes = args.mode == "processes"
    wall, latencies, outcomes, profiles = run_clients(
        args.clients, attempts, attempt, processes=processes, profile=bool(args.profile)
    )
    service = report("service reservation_create", wall, latencies)
    base_wall, base_latencies, _, _ = run_clients(
        args.clients, list(range(len(attempts))), baseline_insert, processes=processes
    )
    baseline = report("baseline single-row insert", base_wall, base_latencies)

    statuses = Counter(s for kind, *rest in outcomes if kind == "made" for s in rest[0])
    refused = Counter(rest[0] for kind, *rest in outcomes if kind == "refused")
    errors = [rest[0] for kind, *rest in outcomes if kind == "error"]
    made_attempts = sum(1 for kind, *_ in outcomes if kind == "made")
    print(
        f"  attempts: {made_attempts} made ({statuses['confirmed']} seats confirmed, "
        f"{statuses['waitlisted']} waitlisted), {sum(refused.values())} refused {dict(refused)}, "
        f"{len(errors)} errors{': ' + errors[0] if errors else ''}"
    )
    print(
        f"  ratio service/baseline: throughput {baseline['rate'] / service['rate']:.1f}x lower, "
        f"p50 {service['p50'] / baseline['p50']:.1f}x, p95 {service['p95'] / baseline['p95']:.1f}x"
    )
    ok_rules, detail = invariants()
    print(f"  invariants: {'held' if ok_rules else 'BROKEN'}: {detail}")
    met = service["rate"] >= TARGET_RATE and service["p95"] < TARGET_P95_MS and ok_rules and not errors
    print(
        f"  target (>= {TARGET_RATE} attempts/s, p95 < {TARGET_P95_MS} ms, zero over-booking, no error): "
        f"{'MET' if met else 'NOT MET'} ({service['rate']:.0f}/s, p95 {service['p95']:.1f} ms)"
    )
    if args.profile and profiles:
        import pstats

        if processes:
            Path(args.profile).write_bytes(profiles[0])
            stats = pstats.Stats(args.profile)
            for other in profiles[1:]:
                Path(args.profile).write_bytes(other)
                stats.add(args.profile)
        else:
            stats = pstats.Stats(profiles[0])
            for other in profiles[1:]:
                stats.add(other)
        stats.dump_stats(args.profile)
        print(f"  profile written to {args.profile}")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
