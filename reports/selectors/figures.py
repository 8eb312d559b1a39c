"""The program's reach against its target: the one home of its figures.

Every figure counts **distinct people**, never seats, from the facts (nothing is stored):

- **booked**: participants holding a confirmed classroom seat or an on-site roster place on a
  non-cancelled session of the program for which no attendance of theirs is recorded (a person
  booked on an upcoming session and trained on a past one counts in both);
- **waitlisted**: participants holding a live waiting place (on a session that has not started)
  and no booking;
- **trained**: participants recorded ``full`` or ``partial`` on at least one session of the program
  (an absent person is neither booked nor trained);
- **certified**: participants holding at least one certificate of the program that is not revoked;
- **reached through multipliers**: 0 until multipliers record their own sessions.

A person's category and kind are their institution's now; their province is their unit's (``None``
for a central unit without one). Institutions are those with a band in the program; one **without
use** has no reservation, request or session in the program, whatever its state.

Each function runs a fixed number of queries whatever the size of the program; every count is done
by the database, grouped by institution and province, and the other breakdowns are sums of those
groups (a person belongs to one institution and one unit, so the sums count nobody twice).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    ExpressionWrapper,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from entitlements.models import Category, Entitlement, Institution, InstitutionKind, Program, Province, Unit
from kamusm_portal.db import TurkishCollate
from reports.selectors.scope import Scope
from sessions.models import (
    Attendance,
    AttendanceStatus,
    Course,
    Enrolment,
    Participant,
    RequestStatus,
    Reservation,
    ReservationStatus,
    SessionKind,
    SessionStatus,
    Trainer,
    TrainingRequest,
    TrainingSession,
    Venue,
    free_places,
    live_session_q,
)
from sessions.selectors import Usage, program_usage, usage_of, with_seat_counts

ATTENDED = (AttendanceStatus.FULL, AttendanceStatus.PARTIAL)
"""The marks that make a person **trained**."""


# --- People ---------------------------------------------------------------------------------------


@dataclass
class People:
    """Distinct people of a group, by what they hold in the program."""

    booked: int = 0
    waitlisted: int = 0
    trained: int = 0
    certified: int = 0

    def add(self, other: People) -> None:
        self.booked += other.booked
        self.waitlisted += other.waitlisted
        self.trained += other.trained
        self.certified += other.certified


def _holding(program: Program, scope: Scope, now: datetime) -> dict[str, QuerySet]:
    """For each thing a person may hold in the program besides a mark, the participant ids of
    ``scope`` holding it (subqueries of the definitions, as the ORM reads them): a booked ``seat``
    or ``roster`` place (no mark recorded), a ``waiting`` place, a certificate not revoked (``certified``)."""
    marked = Attendance.objects.filter(session=OuterRef("session"), participant=OuterRef("participant"))
    live = live_session_q("session__")
    return {
        "seat": Reservation.objects.filter(
            live, scope.q("institution"), session__program=program, status=ReservationStatus.CONFIRMED
        )
        .exclude(Exists(marked))
        .values("participant_id")
        .order_by(),
        "roster": Enrolment.objects.filter(live, scope.q("institution"), session__program=program)
        .exclude(Exists(marked))
        .values("participant_id")
        .order_by(),
        "waiting": Reservation.objects.filter(
            live,
            scope.q("institution"),
            session__program=program,
            status=ReservationStatus.WAITLISTED,
            session__starts_at__gt=now,
        )
        .values("participant_id")
        .order_by(),
        "certified": Certificate.objects.filter(scope.q("institution"), session__program=program)
        .exclude(status=CertificateStatus.REVOKED)
        .values("participant_id")
        .order_by(),
    }


Groups = dict[tuple[int, int | None], People]
"""People by (institution id, province plate of their unit, ``None`` when not stated)."""


def _places_and_marks(program: Program, scope: Scope, people: list[int] | None) -> list[QuerySet]:
    """The rows of (participant, session, place, mark, trained) that decide booked and trained:
    each live confirmed seat and roster place of the scope (place 1), each attendance mark of the
    scope (mark 1, trained 1 when ``full`` or ``partial``). A person is booked on a session where
    they have a place and no mark (``_holding``'s ``seat`` and ``roster``), and trained where a mark
    says so, read in one pass over the marks instead of one anti-join each."""

    def who(institution: str) -> Q:
        # Facts with an institution of their own are reached through it; marks through the people.
        if people is not None and institution.startswith("participant__"):
            return Q(participant_id__in=people)
        return scope.q(institution)

    live = live_session_q("session__")
    columns = ("participant_id", "session_id", "place", "mark", "attended")
    place = {"place": Value(1), "mark": Value(0), "attended": Value(0)}
    return [
        Reservation.objects.filter(
            live, who("institution"), session__program=program, status=ReservationStatus.CONFIRMED
        )
        .annotate(**place)
        .values(*columns)
        .order_by(),
        Enrolment.objects.filter(live, who("institution"), session__program=program)
        .annotate(**place)
        .values(*columns)
        .order_by(),
        Attendance.objects.filter(who("participant__institution"), session__program=program)
        .annotate(
            place=Value(0),
            mark=Value(1),
            attended=Case(When(status__in=ATTENDED, then=Value(1)), default=Value(0)),
        )
        .values(*columns)
        .order_by(),
    ]


def people_groups(program: Program, scope: Scope, *, now: datetime | None = None) -> Groups:
    """The people of the program in ``scope``, grouped by (institution id, province plate of their
    unit): one query (two for a scope of given institutions, whose participants are read first so
    that the database reaches their few facts through the participants' indexes).

    The facts are the ORM's own querysets, stacked and read once each: places and marks per
    (person, session) give booked and trained (``_places_and_marks``), ``_holding`` gives waiting
    places and certificates; the rows are reduced to one per person (booked, waiting, trained,
    certified as 0/1), joined to the person's unit and summed by institution and province.
    ``tests/reports/test_figures.py`` pins it to the plain ORM reading of the definitions
    (``Count`` of participants filtered by ``pk__in`` subqueries of each definition), on
    hand-built facts and on ``seed_scale`` data.
    """
    now = now or timezone.now()
    people = None
    if scope.institution_ids is not None:
        people = list(Participant.objects.filter(scope.q("institution")).values_list("pk", flat=True))
        if not people:
            return {}
    holding = _holding(program, scope, now)
    # Only the ORM's own SQL, fixed numbers and quoted table names are put in the text; every value
    # is a parameter.
    params: list[Any] = []

    def sql_of(queryset: QuerySet) -> str:
        sql, subparams = queryset.query.sql_with_params()
        params.extend(subparams)
        return sql

    rows = " UNION ALL ".join(
        f"SELECT f.participant_id, f.session_id, f.place, f.mark, f.attended FROM ({sql_of(q)}) f"  # noqa: S608
        for q in _places_and_marks(program, scope, people)
    )
    pairs = (
        "SELECT participant_id, MAX(CASE WHEN place = 1 AND mark = 0 THEN 1 ELSE 0 END) AS b, "  # noqa: S608
        f"0 AS w, MAX(attended) AS t, 0 AS c FROM (SELECT participant_id, session_id, MAX(place) AS place, "
        f"MAX(mark) AS mark, MAX(attended) AS attended FROM ({rows}) r GROUP BY participant_id, session_id) s "
        "GROUP BY participant_id"
    )
    waiting = f"SELECT f.participant_id, 0, 1, 0, 0 FROM ({sql_of(holding['waiting'])}) f"  # noqa: S608
    certified = f"SELECT f.participant_id, 0, 0, 0, 1 FROM ({sql_of(holding['certified'])}) f"  # noqa: S608
    quote = connection.ops.quote_name
    participant, unit = quote(Participant._meta.db_table), quote(Unit._meta.db_table)
    facts = f"{pairs} UNION ALL {waiting} UNION ALL {certified}"
    per_person = f"SELECT participant_id, MAX(b) b, MAX(w) w, MAX(t) t, MAX(c) c FROM ({facts}) facts"  # noqa: S608
    query = (
        "SELECT p.institution_id, u.province_id, SUM(x.b), SUM(x.w * (1 - x.b)), SUM(x.t), SUM(x.c) "  # noqa: S608
        f"FROM ({per_person} GROUP BY participant_id HAVING MAX(b) + MAX(w) + MAX(t) + MAX(c) > 0) x "
        f"JOIN {participant} p ON p.id = x.participant_id JOIN {unit} u ON u.id = p.unit_id "
        "GROUP BY p.institution_id, u.province_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(query, params)
        result = cursor.fetchall()
    return {
        (institution_id, plate): People(int(b), int(w), int(t), int(c)) for institution_id, plate, b, w, t, c in result
    }


def people_by_institution(groups: Groups) -> dict[int, People]:
    by: dict[int, People] = defaultdict(People)
    for (institution_id, _province), people in groups.items():
        by[institution_id].add(people)
    return by


def institution_people(program: Program, institution: Institution, *, now: datetime | None = None) -> People:
    """One institution's people in the program (an official's dashboard): two queries."""
    groups = people_groups(program, Scope(institution_ids=(institution.pk,)), now=now)
    return people_by_institution(groups).get(institution.pk, People())


# --- Institutions ---------------------------------------------------------------------------------


def _used_q(program: Program) -> ExpressionWrapper:
    """An entitlement's institution has acted in the program: a reservation, a request or a session,
    whatever its state."""
    institution = OuterRef("institution_id")
    return ExpressionWrapper(
        Q(Exists(Reservation.objects.filter(institution_id=institution, session__program=program)))
        | Q(Exists(TrainingRequest.objects.filter(institution_id=institution, program=program)))
        | Q(Exists(TrainingSession.objects.filter(institution_id=institution, program=program))),
        output_field=BooleanField(),
    )


def banded_entitlements(program: Program, scope: Scope) -> QuerySet[Entitlement]:
    """The entitlements of the institutions with a band in the program, in ``scope``, in Turkish
    alphabetical order of the institution's name (the per-institution list)."""
    return (
        Entitlement.objects.filter(scope.q("institution"), program=program, category__isnull=False)
        .select_related("institution", "institution__account_manager", "category", "program")
        .order_by(TurkishCollate("institution__name"), "institution_id")
    )


def unused_entitlements(program: Program, scope: Scope) -> QuerySet[Entitlement]:
    """The banded institutions that have not used their right at all."""
    return banded_entitlements(program, scope).annotate(used=_used_q(program)).filter(used=False)


@dataclass(frozen=True)
class InstitutionGroup:
    category_id: int
    kind: str
    institutions: int
    without_use: int


def _institution_groups(program: Program, scope: Scope) -> list[InstitutionGroup]:
    rows = (
        Entitlement.objects.filter(scope.q("institution"), program=program, category__isnull=False)
        .annotate(used=_used_q(program))
        .values("category_id", "institution__kind")
        .annotate(n=Count("pk"), unused=Count("pk", filter=Q(used=False)))
        .order_by()
    )
    return [InstitutionGroup(r["category_id"], r["institution__kind"], r["n"], r["unused"]) for r in rows]


# --- The program report ---------------------------------------------------------------------------


@dataclass
class Row:
    """A line of a breakdown: its key, its name, the institutions (where it has a meaning) and people."""

    key: object
    name: str
    people: People = field(default_factory=People)
    institutions: int = 0


def _local_month(moment: datetime) -> str:
    return timezone.localtime(moment, ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m")


def _months(program: Program, scope: Scope) -> list[dict[str, object]]:
    """``trained`` in the month (Turkish time) the session ended, ``certified`` in the month of issue,
    every month from the first to the last with either, zeros included: two queries."""
    zone = ZoneInfo(settings.TIME_ZONE)
    trained = {
        row["month"]: row["n"]
        for row in Attendance.objects.filter(
            scope.q("participant__institution"), session__program=program, status__in=ATTENDED
        )
        .annotate(month=TruncMonth("session__ends_at", tzinfo=zone))
        .values("month")
        .annotate(n=Count("participant", distinct=True))
        .order_by()
    }
    certified = {
        row["month"]: row["n"]
        for row in Certificate.objects.filter(scope.q("institution"), session__program=program)
        .exclude(status=CertificateStatus.REVOKED)
        .annotate(month=TruncMonth("issued_at", tzinfo=zone))
        .values("month")
        .annotate(n=Count("participant", distinct=True))
        .order_by()
    }
    by_month: dict[str, dict[str, int]] = defaultdict(lambda: {"trained": 0, "certified": 0})
    for moments, name in ((trained, "trained"), (certified, "certified")):
        for month, n in moments.items():
            by_month[_month_key(month, zone)][name] += n
    if not by_month:
        return []
    first, last = min(by_month), max(by_month)
    months = []
    year, month = int(first[:4]), int(first[5:])
    while f"{year:04d}-{month:02d}" <= last:
        key = f"{year:04d}-{month:02d}"
        months.append({"month": key, **by_month.get(key, {"trained": 0, "certified": 0})})
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _month_key(month: object, zone: ZoneInfo) -> str:
    """``YYYY-MM`` of a truncated month (an aware datetime, or a date on some back-ends)."""
    if isinstance(month, datetime):
        if timezone.is_aware(month):
            month = month.astimezone(zone)
        return month.strftime("%Y-%m")
    return str(month)[:7]


def _session_totals(program: Program, scope: Scope, now: datetime) -> dict[str, int]:
    """Seats (capacity of the announced and completed classroom sessions, which the program offers
    whatever the scope; confirmed seats of the scope's institutions on them) and on-site hours
    (scheduled: not yet ended; delivered: ended) of non-cancelled sessions: three queries."""
    offered = TrainingSession.objects.filter(
        program=program, kind=SessionKind.CLASSROOM, status__in=[SessionStatus.ANNOUNCED, SessionStatus.COMPLETED]
    )
    capacity = offered.aggregate(n=Sum("capacity"))["n"] or 0
    confirmed = Reservation.objects.filter(
        scope.q("institution"), session__in=offered, status=ReservationStatus.CONFIRMED
    ).count()
    hours = (
        TrainingSession.objects.live()
        .filter(scope.q("institution"), program=program, kind=SessionKind.ONSITE)
        .aggregate(
            scheduled=Sum("hours", filter=Q(ends_at__gt=now)),
            delivered=Sum("hours", filter=Q(ends_at__lte=now)),
        )
    )
    return {
        "seats_capacity": capacity,
        "seats_confirmed": confirmed,
        "hours_scheduled": hours["scheduled"] or 0,
        "hours_delivered": hours["delivered"] or 0,
    }


def program_report(
    program: Program, scope: Scope, *, now: datetime | None = None, usage: dict[int, Usage] | None = None
) -> dict[str, object]:
    """The program's reach in ``scope``, in the shape of ``GET /api/v1/reports/programs/{id}/``:
    totals and breakdowns by category (every band of the table), province (all 81, and ``None``
    when not empty), institution kind (every kind) and month. Fixed number of queries (16)."""
    now = now or timezone.now()
    groups = people_groups(program, scope, now=now)
    institutions = _institution_groups(program, scope)
    categories = list(Category.objects.filter(program=program).order_by("min_users", "pk"))
    category_of = {
        e["institution_id"]: e["category_id"]
        for e in Entitlement.objects.filter(scope.q("institution"), program=program, category__isnull=False).values(
            "institution_id", "category_id"
        )
    }
    kind_of = dict(Institution.objects.filter(scope.q("")).values_list("pk", "kind"))
    if usage is None:
        usage = program_usage(program, institutions=scope.institutions_or_none(), now=now)

    total = People()
    by_category = {c.pk: Row(c.code, c.name) for c in categories}
    by_kind = {k.value: Row(k.value, str(k.label)) for k in InstitutionKind}
    by_province: dict[int | None, Row] = {p.plate: Row(p.plate, p.name) for p in Province.objects.order_by("plate")}
    for (institution_id, plate), people in groups.items():
        total.add(people)
        category_id = category_of.get(institution_id)
        if category_id in by_category:
            by_category[category_id].people.add(people)
        kind = kind_of.get(institution_id)
        if kind in by_kind:
            by_kind[kind].people.add(people)
        by_province.setdefault(plate, Row(None, ""))
        by_province[plate].people.add(people)
    institution_count = without_use = 0
    for group in institutions:
        institution_count += group.institutions
        without_use += group.without_use
        if group.category_id in by_category:
            by_category[group.category_id].institutions += group.institutions
        if group.kind in by_kind:
            by_kind[group.kind].institutions += group.institutions

    figures = {
        "institutions": institution_count,
        "institutions_without_use": without_use,
        **asdict(total),
        "multiplier_reach": 0,
        "seats_capacity": 0,
        "seats_confirmed": 0,
        "hours_entitled": sum(u.hours for u in usage.values()),
        "hours_held": sum(u.hours_held for u in usage.values()),
        "hours_scheduled": 0,
        "hours_delivered": 0,
    }
    figures.update(_session_totals(program, scope, now))
    province_rows = [
        {"province": row.key, "name": row.name, **_three(row.people)}
        for plate, row in by_province.items()
        if plate is not None
    ]
    if None in by_province and any(_three(by_province[None].people).values()):
        province_rows.append({"province": None, "name": "", **_three(by_province[None].people)})
    return {
        "program": program.pk,
        "target": program.trainee_target,
        "totals": figures,
        "by_category": [
            {"code": row.key, "name": row.name, "institutions": row.institutions, **_three(row.people)}
            for row in by_category.values()
        ],
        "by_province": province_rows,
        "by_kind": [
            {"kind": row.key, "institutions": row.institutions, **_three(row.people)} for row in by_kind.values()
        ],
        "by_month": _months(program, scope),
        "materials": {"downloads": 0, "views": 0, "institutions": 0},
        "trips": {"cost": 0, "cost_per_trained": 0},
    }


def _three(people: People) -> dict[str, int]:
    return {"booked": people.booked, "trained": people.trained, "certified": people.certified}


# --- The per-institution list ---------------------------------------------------------------------


def institution_rows(
    program: Program,
    scope: Scope,
    *,
    page: Sequence[Entitlement] | None = None,
    now: datetime | None = None,
) -> list[dict[str, object]]:
    """One row per banded institution in ``scope`` (``banded_entitlements``), or of ``page`` only,
    in the shape of ``GET /api/v1/reports/programs/{id}/institutions/``. A page: five queries (its
    usage, its participants and their figures) besides the page itself; the whole list: seven,
    whatever its length."""
    now = now or timezone.now()
    if page is None:
        entitlements: Sequence[Entitlement] = list(banded_entitlements(program, scope))
        usage = program_usage(program, institutions=scope.institutions_or_none(), now=now)
        groups = people_groups(program, scope, now=now)
    else:
        entitlements = page
        usage = {i: u for (i, _p), u in usage_of(entitlements, now).items()}
        groups = people_groups(program, Scope(institution_ids=tuple(e.institution_id for e in entitlements)), now=now)
    people = people_by_institution(groups)
    rows = []
    for entitlement in entitlements:
        institution = entitlement.institution
        counted = usage.get(institution.pk)
        person = people.get(institution.pk, People())
        category = entitlement.category
        rows.append(
            {
                "institution": institution.pk,
                "name": institution.name,
                "kind": institution.kind,
                "category": {"code": category.code, "name": category.name} if category else None,
                "seat_quota": counted.seat_quota if counted else 0,
                "seats_used": counted.seats_used if counted else 0,
                "hours": counted.hours if counted else 0,
                "hours_used": counted.hours_used if counted else 0,
                "hours_held": counted.hours_held if counted else 0,
                "booked": person.booked,
                "trained": person.trained,
                "certified": person.certified,
                "multiplier_reach": 0,
                "flag": counted.flag if counted else None,
            }
        )
    return rows


# --- By course, venue and trainer ----------------------------------------------------------------


SESSION_DIMENSIONS = {"course": "session__course_id", "venue": "session__venue_id", "trainer": "session__trainer_id"}
"""The breakdowns by an attribute of the session a person was booked, trained or certified on."""


def by_session(program: Program, scope: Scope, *, now: datetime | None = None) -> dict[str, list[dict[str, object]]]:
    """People booked, trained and certified by course, venue (classroom sessions; ``None`` on site)
    and trainer of their sessions, each counting a person once per course, venue or trainer. Eleven
    queries whatever the size: trained and certified counted by the database (one query per
    dimension each), booked from the bookings not yet recorded (two queries, summed here as sets),
    the names (three)."""
    now = now or timezone.now()
    counts: dict[str, dict[object, People]] = {name: defaultdict(People) for name in SESSION_DIMENSIONS}
    trained = Attendance.objects.filter(
        scope.q("participant__institution"), session__program=program, status__in=ATTENDED
    )
    certified = Certificate.objects.filter(scope.q("institution"), session__program=program).exclude(
        status=CertificateStatus.REVOKED
    )
    for name, path in SESSION_DIMENSIONS.items():
        for row in trained.values(path).annotate(n=Count("participant", distinct=True)).order_by():
            counts[name][row[path]].trained = row["n"]
        for row in certified.values(path).annotate(n=Count("participant", distinct=True)).order_by():
            counts[name][row[path]].certified = row["n"]
    holding = _holding(program, scope, now)
    booked: dict[str, dict[object, set[int]]] = {name: defaultdict(set) for name in SESSION_DIMENSIONS}
    for facts in (holding["seat"], holding["roster"]):
        for row in facts.values("participant_id", *SESSION_DIMENSIONS.values()):
            for name, path in SESSION_DIMENSIONS.items():
                booked[name][row[path]].add(row["participant_id"])
    for name, groups in booked.items():
        for key, people in groups.items():
            counts[name][key].booked = len(people)
    names: dict[str, dict[object, str]] = {
        "course": {c.pk: f"{c.code} · {c.title}" for c in Course.objects.filter(pk__in=list(counts["course"]))},
        "venue": {v.pk: v.name for v in Venue.objects.filter(pk__in=[k for k in counts["venue"] if k])},
        "trainer": {
            t.pk: str(t)
            for t in Trainer.objects.select_related("user").filter(pk__in=[k for k in counts["trainer"] if k])
        },
    }
    return {
        name: [
            {"key": key, "name": names[name].get(key, ""), **_three(people)}
            for key, people in sorted(groups.items(), key=lambda item: (-item[1].trained, names[name].get(item[0], "")))
        ]
        for name, groups in counts.items()
    }


# --- The dashboard --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fill:
    """A session's places: taken (confirmed seats, or the on-site roster) of its capacity, and the
    waiting list of a classroom session."""

    session: TrainingSession
    taken: int
    waiting: int = 0

    @property
    def free(self) -> int:
        return free_places(self.session.capacity, self.taken)

    @property
    def rate(self) -> int:
        """Taken of capacity, in whole per cent."""
        return _percent(self.taken, self.session.capacity)


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def upcoming_sessions(program: Program, scope: Scope, *, days: int = 14, now: datetime | None = None) -> list[Fill]:
    """The announced sessions starting in the next ``days`` days with their fill: classroom
    sessions (confirmed of capacity, waiting list) and the scope's on-site sessions (roster of
    capacity). One query."""
    now = now or timezone.now()
    sessions = (
        with_seat_counts(
            TrainingSession.objects.filter(
                program=program,
                status=SessionStatus.ANNOUNCED,
                starts_at__gte=now,
                starts_at__lt=now + timedelta(days=days),
            ).filter(Q(kind=SessionKind.CLASSROOM) | (Q(kind=SessionKind.ONSITE) & scope.q("institution"))),
            now,
        )
        .annotate(roster=Count("enrolments", distinct=True))
        .select_related("course", "venue", "province", "institution", "trainer__user")
        .order_by("starts_at", "pk")
    )
    return [
        Fill(s, s.seats_confirmed, s.waitlist_length) if s.kind == SessionKind.CLASSROOM else Fill(s, s.roster)
        for s in sessions
    ]


@dataclass
class VenueFill:
    """The classroom sessions of one venue, summed."""

    venue: Venue | None
    sessions: int = 0
    capacity: int = 0
    confirmed: int = 0
    waiting: int = 0

    @property
    def rate(self) -> int:
        return _percent(self.confirmed, self.capacity)


def classroom_fill(program: Program, *, now: datetime | None = None) -> tuple[list[Fill], list[VenueFill]]:
    """Fill rates of the program's announced and completed classroom sessions: per session
    (confirmed of capacity, waiting list) and per venue (sums). One query."""
    now = now or timezone.now()
    sessions = (
        with_seat_counts(
            TrainingSession.objects.filter(
                program=program,
                kind=SessionKind.CLASSROOM,
                status__in=[SessionStatus.ANNOUNCED, SessionStatus.COMPLETED],
            ),
            now,
        )
        .select_related("course", "venue")
        .order_by("starts_at", "pk")
    )
    fills = [Fill(s, s.seats_confirmed, s.waitlist_length) for s in sessions]
    venues: dict[int | None, VenueFill] = {}
    for fill in fills:
        venue = venues.setdefault(fill.session.venue_id, VenueFill(fill.session.venue))
        venue.sessions += 1
        venue.capacity += fill.session.capacity
        venue.confirmed += fill.taken
        venue.waiting += fill.waiting
    return fills, list(venues.values())


@dataclass(frozen=True)
class Queue:
    """The open (submitted) requests: how many, the oldest's age in days, and the oldest ones."""

    count: int
    oldest_days: int | None
    oldest: list[tuple[TrainingRequest, int]]
    """The oldest requests with their age in days."""


def request_queue(program: Program, scope: Scope, *, now: datetime | None = None, limit: int = 10) -> Queue:
    """The open requests of the scope, oldest first. Two queries."""
    now = now or timezone.now()
    open_requests = TrainingRequest.objects.filter(
        scope.q("institution"), program=program, status=RequestStatus.SUBMITTED
    )
    summary = open_requests.aggregate(n=Count("pk"), oldest=Min("submitted_at"))
    oldest = open_requests.select_related("institution", "province").order_by("submitted_at", "pk")[:limit]
    return Queue(
        count=summary["n"],
        oldest_days=(now - summary["oldest"]).days if summary["oldest"] else None,
        oldest=[(request, (now - request.submitted_at).days) for request in oldest],
    )


def above_right(
    program: Program, scope: Scope, *, now: datetime | None = None, usage: dict[int, Usage] | None = None
) -> list[dict]:
    """The institutions whose usage is above their right (a recomputation lowered their band), with
    their usage. Four queries (``program_usage``) and one for their rows."""
    if usage is None:
        usage = program_usage(program, institutions=scope.institutions_or_none(), now=now)
    flagged = {i: u for i, u in usage.items() if u.above_right}
    if not flagged:
        return []
    rows = (
        Entitlement.objects.filter(program=program, institution_id__in=list(flagged))
        .select_related("institution", "institution__account_manager", "category")
        .order_by(TurkishCollate("institution__name"), "institution_id")
    )
    return [{"entitlement": e, "institution": e.institution, "usage": flagged[e.institution_id]} for e in rows]


def dashboard(program: Program, scope: Scope, *, now: datetime | None = None, unused_limit: int = 20) -> dict:
    """Everything the centre's dashboard shows, in a fixed number of queries: the report, the next
    14 days' sessions, the request queue, usage above the right and the institutions that have not
    used their right (the first ``unused_limit``, with their account manager, and how many)."""
    now = now or timezone.now()
    usage = program_usage(program, institutions=scope.institutions_or_none(), now=now)  # read once, for both
    report = program_report(program, scope, now=now, usage=usage)
    unused = unused_entitlements(program, scope)
    return {
        "report": report,
        "upcoming": upcoming_sessions(program, scope, now=now),
        "queue": request_queue(program, scope, now=now),
        "above_right": above_right(program, scope, now=now, usage=usage),
        "unused": list(unused[:unused_limit]),
        "unused_count": report["totals"]["institutions_without_use"],  # type: ignore[index]
    }
