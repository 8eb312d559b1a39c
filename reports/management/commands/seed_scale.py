"""A national-scale program in a fresh database, for benchmarks and for trying the centre's figures.

Run it after ``migrate`` (which seeds the open program with its category table, the provinces,
districts, venues and the catalog) on a database that holds no institutions yet::

    manage.py seed_scale --scale 1 --seed 2012

At ``--scale 1`` it makes 10,000 institutions with 60,000 units, 40 trainers, 60,000 participants,
1,000 classroom sessions with about 24,000 reservations, 3,000 on-site sessions from training
requests, their rosters and attendance, and about 50,000 certificate records; ``--scale 0.1`` makes a
tenth. The same ``--seed`` gives the same data (on the same day: dates are laid out around today),
apart from the secrets, which are drawn as the portal draws them: the certificates' verification
codes (``code_new``) and the trainers' calendar links.

The rows are written with ``bulk_create``, not through the per-row services, but they are what the
services would have written (docs/domain.md):

- units carry the active users; the entitlements are written by the ledger's own
  ``entitlement_recompute``, set-based, so bands and flags are the ledger's;
- classroom seats are taken by replaying the applications in time order: seats in order of
  application, never more confirmed than the capacity, the rest on the waiting list (promoted when a
  seat is cancelled, expired when the session starts), an institution never above the program's
  quota of live reservations, a participant never holding two live seats;
- on-site sessions deliver training request items within the institution's hours (used + held never
  above the right), and a trainer is never booked on two overlapping sessions (classroom ones
  included), which PostgreSQL's exclusion constraint also checks;
- past sessions are completed with attendance for everyone on their roster; a certificate exists
  for each attendance the band's rule makes eligible, with a serial taken from the program year's
  counter (``serials_take``), so that later issuing continues the sequence.

Certificates are written ``pending`` with no PDF, and nothing is queued: ``bulk_create`` sends no
signal and the command registers no on-commit hook. The certificate sweep renders them a bounded
number per run (``CERTIFICATE_SWEEP_BATCH``) when the scheduled jobs run. History tables get no rows
for the bulk data, except the entitlements' (the recomputation writes them).
"""

from __future__ import annotations

import heapq
import math
import random
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction
from django.utils import timezone

from certificates.models import Certificate, CertificateStatus
from certificates.services.issuing import code_new, eligible, serials_take
from entitlements.models import (
    Category,
    Delivery,
    District,
    Entitlement,
    Institution,
    InstitutionKind,
    Program,
    Province,
    Unit,
    UnitLevel,
    institution_search_key,
)
from entitlements.services import entitlement_recompute
from kamusm_portal.text import ascii_words
from sessions.models import (
    Attendance,
    AttendanceStatus,
    Audience,
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
    TrainingRequestItem,
    TrainingSession,
    Venue,
)
from sessions.services.trainers import TRAINERS_GROUP

User = get_user_model()

# Sizes at --scale 1.
INSTITUTIONS = 10_000
UNITS = 60_000
TRAINERS = 40
ACCOUNT_MANAGERS = 6
PARTICIPANTS = 60_000
CLASSROOM_SESSIONS = 1_000
ONSITE_SESSIONS = 3_000

# Shares of the institutions per band of the table, after the first (classroom) band, which takes
# the rest; a band beyond the list gets the minimum. At least MIN_PER_BAND institutions per band,
# a few with no users and a couple above the last band, at any scale.
ONSITE_BAND_SHARES = (0.10, 0.03, 0.008, 0.0008, 0.0004)
MIN_PER_BAND = 2
NO_USERS_SHARE = 0.004
ABOVE_LAST_BAND = 2

# Shares of the participants: the classroom institutions take these, the on-site ones the rest.
CLASSROOM_PARTICIPANT_SHARE = 0.5

BATCH = 2_000
ANKARA = 6


def _clock() -> datetime:
    """The moment the data is laid out around (a function, so a test can hold it still)."""
    return timezone.now()


# --- Names --------------------------------------------------------------------------------------

FIRST_NAMES = [
    "Ahmet",
    "Mehmet",
    "Mustafa",
    "Ayşe",
    "Fatma",
    "Emine",
    "Hatice",
    "Zeynep",
    "Elif",
    "Özlem",
    "Gülşen",
    "Şükrü",
    "Çağlar",
    "İbrahim",
    "İsmail",
    "Hüseyin",
    "Hülya",
    "Ümit",
    "Gökhan",
    "Gülay",
    "Serkan",
    "Ceren",
    "Buğra",
    "Tuğba",
    "Şebnem",
    "Oğuz",
    "Barış",
    "Doğan",
    "Ebru",
    "Nihal",
    "Kübra",
    "Yağmur",
    "Çiğdem",
    "Ilgın",
    "Işıl",
    "Sevgi",
    "Süleyman",
    "Burcu",
    "Cem",
    "Deniz",
    "Gönül",
    "Hakan",
    "İlkay",
    "Kadir",
    "Levent",
    "Melike",
    "Nurgül",
    "Onur",
    "Pınar",
    "Rıza",
    "Selçuk",
    "Tülay",
    "Uğur",
    "Volkan",
    "Yeşim",
    "Zülfü",
    "Aslı",
    "Berk",
    "Derya",
    "Gülizar",
    "Şeyma",
    "Müge",
]
LAST_NAMES = [
    "Yılmaz",
    "Kaya",
    "Demir",
    "Şahin",
    "Çelik",
    "Yıldız",
    "Yıldırım",
    "Öztürk",
    "Aydın",
    "Özdemir",
    "Arslan",
    "Doğan",
    "Kılıç",
    "Aslan",
    "Çetin",
    "Kara",
    "Koç",
    "Kurt",
    "Özkan",
    "Şimşek",
    "Polat",
    "Korkmaz",
    "Çakır",
    "Erdoğan",
    "Yavuz",
    "Can",
    "Acar",
    "Şen",
    "Aktaş",
    "Güler",
    "Yalçın",
    "Güneş",
    "Bozkurt",
    "Bulut",
    "Keskin",
    "Ünal",
    "Turan",
    "Gül",
    "Özer",
    "Işık",
    "Kaplan",
    "Avcı",
    "Sarı",
    "Tekin",
    "Taş",
    "Köse",
    "Yüksel",
    "Ateş",
    "Aksoy",
    "Ertuğrul",
    "Şenol",
    "Uçar",
    "Gündoğdu",
    "Karakuş",
    "Ağaoğlu",
    "Çağlayan",
    "Dağdelen",
    "Ilıcalı",
    "Büyükköse",
    "O'Neil",
    "Erim-Sözen",
]

K = InstitutionKind
MINISTRIES = [
    "T.C. Adalet Bakanlığı",
    "T.C. Aile ve Sosyal Hizmetler Bakanlığı",
    "T.C. Çalışma ve Sosyal Güvenlik Bakanlığı",
    "T.C. Çevre, Şehircilik ve İklim Değişikliği Bakanlığı",
    "T.C. Dışişleri Bakanlığı",
    "T.C. Enerji ve Tabii Kaynaklar Bakanlığı",
    "T.C. Gençlik ve Spor Bakanlığı",
    "T.C. Hazine ve Maliye Bakanlığı",
    "T.C. İçişleri Bakanlığı",
    "T.C. Kültür ve Turizm Bakanlığı",
    "T.C. Milli Eğitim Bakanlığı",
    "T.C. Milli Savunma Bakanlığı",
    "T.C. Sağlık Bakanlığı",
    "T.C. Sanayi ve Teknoloji Bakanlığı",
    "T.C. Tarım ve Orman Bakanlığı",
    "T.C. Ticaret Bakanlığı",
    "T.C. Ulaştırma ve Altyapı Bakanlığı",
]
PRESIDENCIES = [
    "Gelir İdaresi Başkanlığı",
    "Sosyal Güvenlik Kurumu Başkanlığı",
    "Diyanet İşleri Başkanlığı",
    "Türkiye İstatistik Kurumu Başkanlığı",
    "Afet ve Acil Durum Yönetimi Başkanlığı",
    "Göç İdaresi Başkanlığı",
    "Savunma Sanayii Başkanlığı",
    "Strateji ve Bütçe Başkanlığı",
    "Devlet Arşivleri Başkanlığı",
    "İletişim Başkanlığı",
    "Yükseköğretim Kurulu Başkanlığı",
    "Sayıştay Başkanlığı",
    "Kamu İhale Kurumu Başkanlığı",
    "Bilgi Teknolojileri ve İletişim Kurumu Başkanlığı",
    "Gelir Politikaları Başkanlığı",
]
GENERAL_DIRECTORATES = [
    "Emniyet Genel Müdürlüğü",
    "Tapu ve Kadastro Genel Müdürlüğü",
    "Karayolları Genel Müdürlüğü",
    "Devlet Su İşleri Genel Müdürlüğü",
    "Orman Genel Müdürlüğü",
    "Nüfus ve Vatandaşlık İşleri Genel Müdürlüğü",
    "Meteoroloji Genel Müdürlüğü",
    "Vakıflar Genel Müdürlüğü",
    "Kredi ve Yurtlar Genel Müdürlüğü",
    "Devlet Hava Meydanları İşletmesi Genel Müdürlüğü",
    "PTT Genel Müdürlüğü",
    "TCDD Genel Müdürlüğü",
    "Maden Tetkik ve Arama Genel Müdürlüğü",
    "Türkiye İş Kurumu Genel Müdürlüğü",
    "Halk Sağlığı Genel Müdürlüğü",
    "Petrol İşleri Genel Müdürlüğü",
    "Gümrükler Genel Müdürlüğü",
    "Kamu Hastaneleri Genel Müdürlüğü",
    "Eğitim Teknolojileri Genel Müdürlüğü",
    "Spor Hizmetleri Genel Müdürlüğü",
]
UNIVERSITIES = [
    "Hacettepe Üniversitesi",
    "Orta Doğu Teknik Üniversitesi",
    "Ankara Üniversitesi",
    "Gazi Üniversitesi",
    "İstanbul Teknik Üniversitesi",
    "Boğaziçi Üniversitesi",
    "Ege Üniversitesi",
    "Dokuz Eylül Üniversitesi",
    "Çukurova Üniversitesi",
    "Karadeniz Teknik Üniversitesi",
    "Ondokuz Mayıs Üniversitesi",
    "Selçuk Üniversitesi",
    "Erciyes Üniversitesi",
    "Atatürk Üniversitesi",
    "Fırat Üniversitesi",
    "Dicle Üniversitesi",
    "Bursa Uludağ Üniversitesi",
    "Muğla Sıtkı Koçman Üniversitesi",
]
# The 30 provinces with a metropolitan municipality (plate codes).
METROPOLITAN = {
    1,
    6,
    7,
    9,
    10,
    16,
    20,
    21,
    25,
    26,
    27,
    31,
    33,
    34,
    35,
    38,
    41,
    42,
    44,
    45,
    46,
    47,
    48,
    52,
    54,
    55,
    61,
    63,
    65,
    67,
}
# Province-level bodies: (template, kind); {p} is the province.
PROVINCE_BODIES = [
    ("{p} Valiliği", K.GOVERNORSHIP),
    ("{p} Belediyesi", K.MUNICIPALITY),
    ("{p} Üniversitesi", K.UNIVERSITY),
    ("{p} İl Özel İdaresi", K.OTHER),
    ("{p} Defterdarlığı", K.OTHER),
    ("{p} İl Sağlık Müdürlüğü", K.OTHER),
    ("{p} İl Milli Eğitim Müdürlüğü", K.OTHER),
    ("{p} İl Emniyet Müdürlüğü", K.OTHER),
    ("{p} Adliyesi", K.OTHER),
]
# District-level bodies: {d} is the district.
DISTRICT_BODIES = [
    ("{d} Kaymakamlığı", K.GOVERNORSHIP),
    ("{d} Belediyesi", K.MUNICIPALITY),
    ("{d} Devlet Hastanesi", K.OTHER),
    ("{d} İlçe Milli Eğitim Müdürlüğü", K.OTHER),
    ("{d} İlçe Müftülüğü", K.OTHER),
    ("{d} Tapu Müdürlüğü", K.OTHER),
    ("{d} İlçe Nüfus Müdürlüğü", K.OTHER),
    ("{d} Malmüdürlüğü", K.OTHER),
    ("{d} Vergi Dairesi Müdürlüğü", K.OTHER),
    ("{d} Halk Eğitimi Merkezi Müdürlüğü", K.OTHER),
    ("{d} Sosyal Güvenlik Merkezi", K.OTHER),
    ("{d} İlçe Tarım ve Orman Müdürlüğü", K.OTHER),
    ("{d} Cumhuriyet Başsavcılığı", K.OTHER),
]
# Unit names by kind: (central, provincial, district).
UNIT_NAMES = {
    K.MINISTRY: ("Merkez Teşkilatı", "{p} İl Müdürlüğü", "{d} İlçe Müdürlüğü"),
    K.GENERAL_DIRECTORATE: ("Genel Müdürlük Merkez Birimi", "{p} Bölge Müdürlüğü", "{d} Şube Müdürlüğü"),
    K.PRESIDENCY: ("Başkanlık Merkez Birimi", "{p} İl Başkanlığı", "{d} Müdürlüğü"),
    K.GOVERNORSHIP: ("Valilik Merkez Birimi", "{p} İrtibat Bürosu", "{d} Kaymakamlığı"),
    K.MUNICIPALITY: ("Belediye Hizmet Binası", "{p} İrtibat Ofisi", "{d} Hizmet Birimi"),
    K.UNIVERSITY: ("Rektörlük", "{p} Yerleşkesi", "{d} Meslek Yüksekokulu"),
    K.OTHER: ("Merkez Birimi", "{p} Temsilciliği", "{d} Bürosu"),
}
# Share of the units below the centre that are provincial (the rest are district units).
PROVINCIAL_SHARE = {
    K.MINISTRY: 0.5,
    K.GENERAL_DIRECTORATE: 0.5,
    K.PRESIDENCY: 0.5,
    K.GOVERNORSHIP: 0.0,
    K.MUNICIPALITY: 0.0,
    K.UNIVERSITY: 0.1,
    K.OTHER: 0.2,
}


# --- Plan ---------------------------------------------------------------------------------------


@dataclass
class Plan:
    """One institution as planned before it is written."""

    band: int | None  # index in the category table; None: no users or above the last band
    users: int
    kind: str = ""
    name: str = ""
    home: int = ANKARA
    units: int = 1
    participants: int = 0
    pk: int = 0
    code: str = ""
    unit_ids: list[int] = field(default_factory=list)
    unit_weights: list[int] = field(default_factory=list)


@dataclass
class RequestPlan:
    """A training request as planned: its items ([course, hours]) and its sessions (item index, row)."""

    row: TrainingRequest
    items: list[list[Any]] = field(default_factory=list)
    sessions: list[tuple[int, TrainingSession]] = field(default_factory=list)


@dataclass
class Slot:
    """A session being laid out: its row and the people on its roster."""

    session: TrainingSession
    past: bool
    roster: list[int] = field(default_factory=list)  # participant ids, in order


def scaled(size: int, scale: float, minimum: int = 1) -> int:
    return max(minimum, round(size * scale))


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    """``total`` split in proportion to ``weights`` (whole numbers adding up to ``total``)."""
    mass = sum(weights)
    if total <= 0 or mass <= 0:
        return [0] * len(weights)
    exact = [total * w / mass for w in weights]
    shares = [math.floor(x) for x in exact]
    order = sorted(range(len(weights)), key=lambda i: (shares[i] - exact[i], i))
    for i in order[: total - sum(shares)]:
        shares[i] += 1
    return shares


def _log_uniform(rng: random.Random, low: int, high: int) -> int:
    return min(high, max(low, int(math.exp(rng.uniform(math.log(low), math.log(high + 1))))))


class Command(BaseCommand):
    help = (
        "Build a national-scale program in a fresh database (after migrate, with no institutions): "
        "10,000 institutions, 60,000 participants, 4,000 sessions and about 50,000 certificates at --scale 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=float, default=1.0, help="1.0: the full sizes; 0.1: a tenth.")
        parser.add_argument("--seed", type=int, default=2012, help="The same seed gives the same data.")

    def handle(self, *args: Any, **options: Any) -> None:
        scale = options["scale"]
        if not 0 < scale <= 10:
            raise CommandError("--scale is a number above 0 and at most 10 (1.0: the full sizes).")
        existing = Institution.objects.count()
        if existing:
            raise CommandError(
                f"The database already holds {existing} institutions: seed_scale builds a program in a fresh "
                "database only (run it right after migrate)."
            )
        program = Program.objects.filter(is_open=True).order_by("-year", "pk").first()
        if program is None:
            raise CommandError("No open program: run migrate first (it seeds the 2012 program).")
        started = time.perf_counter()
        seeder = Seeder(program=program, scale=scale, seed=options["seed"], out=self.stdout.write)
        with transaction.atomic():
            seeder.run()
        # The tables grew from nothing in one transaction: gather the planner's statistics now, as
        # a bulk load should, rather than leave the first reports to plans made for empty tables.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        elapsed = time.perf_counter() - started
        self.stdout.write(f"seed_scale --scale {scale:g} --seed {options['seed']} on {connection.vendor}:")
        for label, count in seeder.made.items():
            self.stdout.write(f"  {label:<40} {count:>9,}")
        self.stdout.write(self.style.SUCCESS(f"Done in {elapsed:.1f} s."))


class Seeder:
    def __init__(self, *, program: Program, scale: float, seed: int, out: Any) -> None:
        self.program = program
        self.scale = scale
        self.rng = random.Random(f"seed_scale-{seed}")
        self.out = out
        self.made: dict[str, int] = {}
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.today = timezone.localdate(_clock(), timezone=self.tz)
        # Everything that has happened happened before today began: the same seed gives the same
        # data all day, and today is left free (a session has either ended or not started).
        self.now = self.at(self.today, 0)
        self.bands = list(Category.objects.filter(program=program).order_by("min_users"))
        if not self.bands:
            raise CommandError(f"{program} has no category table.")
        self.provinces = {p.plate: p for p in Province.objects.order_by("plate")}
        self.districts: dict[int, list[District]] = defaultdict(list)
        for district in District.objects.order_by("province_id", "pk"):
            self.districts[district.province_id].append(district)
        self.venues = list(Venue.objects.filter(is_active=True).order_by("pk"))
        self.courses = list(Course.objects.filter(is_active=True).order_by("pk"))
        if not self.venues or not self.courses:
            raise CommandError("No venues or no courses: run migrate first (it seeds the catalog and venues).")
        self._lap = time.perf_counter()

    # -- helpers --

    def _step(self, label: str) -> None:
        now = time.perf_counter()
        self.out(f"  {label} ({now - self._lap:.1f} s)")
        self._lap = now

    def at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return datetime(day.year, day.month, day.day, hour, minute, tzinfo=self.tz)

    def between(self, low: datetime, high: datetime) -> datetime:
        """A moment in [low, high], to the second."""
        span = max(int((high - low).total_seconds()), 0)
        return low + timedelta(seconds=self.rng.randint(0, span))

    # -- the run --

    def run(self) -> None:
        self._window()
        plans = self._plan_institutions()
        self._write_institutions(plans)
        self._step("institutions and units")
        entitlement_recompute(programs=[self.program], reason="seed_scale")
        self.made["entitlements"] = Entitlement.objects.filter(program=self.program).count()
        self._check_bands(plans)
        self._step("entitlements (entitlement_recompute)")
        _managers, trainers = self._write_staff(plans)
        self._step("trainers and account managers")
        self._write_participants(plans)
        self._step("participants")
        self.busy: dict[int, set[tuple[date, int]]] = {t.pk: set() for t in trainers}
        self.trainers = trainers
        classroom = self._write_classroom(plans)
        self._step("classroom sessions and reservations")
        onsite = self._write_onsite(plans)
        self._step("training requests and on-site sessions")
        self._write_attendance_and_certificates(classroom + onsite, plans)
        self._step("attendance and certificates")

    def _window(self) -> None:
        """The days sessions are laid out on: weekdays, three quarters before today and one after
        (today itself is left free, so every session has either ended or not started)."""
        slots_needed = math.ceil(scaled(CLASSROOM_SESSIONS, self.scale) / (2 * len(self.venues)) * 1.15)
        days = max(360, math.ceil(slots_needed * 7 / 5))
        past, future = round(days * 0.75), min(days - round(days * 0.75), 700)
        every = [self.today + timedelta(days=n) for n in range(-past, future + 1) if n != 0]
        self.days = [d for d in every if d.weekday() < 5]
        self.first_day = self.days[0]
        self.past_days = [d for d in self.days if d < self.today]
        self.future_days = [d for d in self.days if d > self.today]

    # -- institutions --

    def _plan_institutions(self) -> list[Plan]:
        rng = self.rng
        count = scaled(INSTITUTIONS, self.scale, 20)
        per_band = [0] * len(self.bands)
        for i in range(1, len(self.bands)):
            share = ONSITE_BAND_SHARES[i - 1] if i - 1 < len(ONSITE_BAND_SHARES) else 0
            per_band[i] = max(MIN_PER_BAND, round(count * share))
        no_users = max(MIN_PER_BAND, round(count * NO_USERS_SHARE))
        per_band[0] = count - sum(per_band) - no_users - ABOVE_LAST_BAND
        if per_band[0] < MIN_PER_BAND:
            raise CommandError("--scale is too small for every band to be present.")
        plans: list[Plan] = []
        last = self.bands[-1]
        for _n in range(ABOVE_LAST_BAND):
            plans.append(Plan(band=None, users=rng.randint(last.max_users + 1, last.max_users + last.max_users // 5)))
        for index in range(len(self.bands) - 1, -1, -1):
            band = self.bands[index]
            high = min(band.max_users, band.min_users * 4) if index > 0 else band.max_users
            plans += [Plan(band=index, users=_log_uniform(rng, band.min_users, high)) for _n in range(per_band[index])]
        plans += [Plan(band=None, users=0) for _n in range(no_users)]
        self._name(plans)
        self._plan_units(plans)
        self._plan_participants(plans)
        return plans

    def _name(self, plans: list[Plan]) -> None:
        """Names by size: national bodies for the largest, provincial ones next, district ones for
        the rest, each pool in a shuffled order that alternates kinds (so every kind shows)."""
        rng = self.rng
        provinces = list(self.provinces.values())
        district_count: dict[str, int] = defaultdict(int)
        for districts in self.districts.values():
            for d in districts:
                district_count[d.name] += 1

        def interleave(groups: list[list[tuple[str, str, int]]]) -> list[tuple[str, str, int]]:
            for group in groups:
                rng.shuffle(group)
            merged = []
            for i in range(max(len(g) for g in groups)):
                merged += [g[i] for g in groups if i < len(g)]
            return merged

        national = interleave(
            [
                [(n, K.MINISTRY, ANKARA) for n in MINISTRIES],
                [(n, K.PRESIDENCY, ANKARA) for n in PRESIDENCIES],
                [(n, K.GENERAL_DIRECTORATE, ANKARA) for n in GENERAL_DIRECTORATES],
            ]
        )
        provincial: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for template, kind in PROVINCE_BODIES:
            for p in provinces:
                name = template.format(p=p.name)
                if kind == K.MUNICIPALITY and p.plate in METROPOLITAN:
                    name = f"{p.name} Büyükşehir Belediyesi"
                provincial[kind].append((name, kind, p.plate))
        provincial[K.UNIVERSITY] += [(n, K.UNIVERSITY, ANKARA) for n in UNIVERSITIES]
        provincial_pool = interleave(list(provincial.values()))
        local: dict[str, list[tuple[str, str, int]]] = defaultdict(list)
        for template, kind in DISTRICT_BODIES:
            for plate, districts in self.districts.items():
                for d in districts:
                    label = f"{self.provinces[plate].name} Merkez" if d.name == "Merkez" else d.name
                    if district_count[d.name] > 1 and d.name != "Merkez":
                        label = f"{d.name} ({self.provinces[plate].name})"
                    local[kind].append((template.format(d=label), kind, plate))
        local_pool = interleave(list(local.values()))
        pools = [national, provincial_pool, local_pool]
        # Largest institutions first: they take the national bodies, then the provincial ones.
        order = sorted(range(len(plans)), key=lambda i: (-plans[i].users, i))
        cursor = [0, 0, 0]
        used = 0
        for i in order:
            plan = plans[i]
            if plan.band is None:  # above the last band, or no users
                tier = 0 if plan.users else 2
            else:  # bands 3 and above national, bands 1-2 provincial, the classroom band local
                tier = 0 if plan.band >= 3 else 1 if plan.band >= 1 else 2
            while tier < 3 and cursor[tier] >= len(pools[tier]):
                tier += 1
            if tier == 3:  # every pool used (scale above about 1.2): names repeat, with a number
                pool = pools[2]
                name, kind, home = pool[used % len(pool)]
                name = f"{name} {used // len(pool) + 2}. Hizmet Birimi"
                used += 1
            else:
                name, kind, home = pools[tier][cursor[tier]]
                cursor[tier] += 1
            plan.name, plan.kind, plan.home = name, kind, home

    def _plan_units(self, plans: list[Plan]) -> None:
        """How many units each institution has, larger ones more, adding up to the promised total."""
        rng = self.rng
        target = scaled(UNITS, self.scale, len(plans))
        for plan in plans:
            if plan.band is None and plan.users:
                plan.units = rng.randint(81, 200)
            elif plan.band is None or plan.band == 0:
                plan.units = 1 + rng.randint(1, 5)
            else:
                low, high = [(4, 12), (8, 30), (20, 81), (81, 150), (81, 200)][min(plan.band, 5) - 1]
                plan.units = rng.randint(low, high)
        heap = [(-plan.units, i) for i, plan in enumerate(plans)]
        heapq.heapify(heap)
        total = sum(plan.units for plan in plans)
        while total > target:  # trim the largest first
            units, i = heapq.heappop(heap)
            plans[i].units -= 1
            total -= 1
            heapq.heappush(heap, (units + 1, i))
        small = [i for i, plan in enumerate(plans) if plan.band == 0]
        while total < target:
            plans[rng.choice(small)].units += 1
            total += 1

    def _plan_participants(self, plans: list[Plan]) -> None:
        total = scaled(PARTICIPANTS, self.scale)
        classroom = [p for p in plans if p.band == 0]
        onsite = [p for p in plans if p.band is not None and p.band > 0]
        first = round(total * CLASSROOM_PARTICIPANT_SHARE)
        for plan, n in zip(classroom, _largest_remainder(first, [min(p.users, 10) for p in classroom]), strict=True):
            plan.participants = max(n, 1)
        rest = total - sum(p.participants for p in classroom)
        for plan, n in zip(onsite, _largest_remainder(rest, [10.0 + 6 * p.band for p in onsite]), strict=True):  # type: ignore[operator]
            plan.participants = n

    def _write_institutions(self, plans: list[Plan]) -> None:
        rng = self.rng
        codes = rng.sample(range(10_000_000, 99_999_999), len(plans))
        rows = []
        for plan, number in zip(plans, codes, strict=True):
            code = plan.code = str(number)
            rows.append(
                Institution(
                    name=plan.name, code=code, kind=plan.kind, search_key=institution_search_key(plan.name, code)
                )
            )
        for plan, row in zip(plans, Institution.objects.bulk_create(rows, batch_size=BATCH), strict=True):
            plan.pk = row.pk
        self.made["institutions"] = len(rows)
        units: list[Unit] = []
        owners: list[Plan] = []
        all_provinces = sorted(self.provinces)
        for plan in plans:
            central, il_name, ilce_name = UNIT_NAMES[InstitutionKind(plan.kind)]
            below = plan.units - 1
            il_count = min(80, round(below * PROVINCIAL_SHARE[InstitutionKind(plan.kind)]))
            il = rng.sample([p for p in all_provinces if p != plan.home], il_count)
            places = [plan.home, *il]
            pool = [d for plate in places for d in self.districts[plate]]
            ilce_count = below - il_count
            if ilce_count > len(pool):
                pool = [d for plate in all_provinces for d in self.districts[plate]]
            ilce = rng.sample(pool, ilce_count)
            shares = self._split_users(plan.users, plan.units)
            made = [Unit(level=UnitLevel.MERKEZ, name=central, province_id=plan.home)]
            made += [Unit(level=UnitLevel.IL, name=il_name.format(p=self.provinces[p].name), province_id=p) for p in il]
            made += [
                Unit(
                    level=UnitLevel.ILCE,
                    name=ilce_name.format(d=d.name),
                    province_id=d.province_id,
                    district_id=d.pk,
                )
                for d in ilce
            ]
            for unit, users in zip(made, shares, strict=True):
                unit.institution_id = plan.pk
                unit.active_users = users
                plan.unit_weights.append(users + 1)
            units += made
            owners += [plan] * len(made)
        for unit, plan in zip(Unit.objects.bulk_create(units, batch_size=BATCH), owners, strict=True):
            plan.unit_ids.append(unit.pk)
        self.made["units"] = len(units)

    def _split_users(self, total: int, parts: int) -> list[int]:
        """An institution's active users over its units, the central unit the largest."""
        weights = [max(1.0, 0.5 * (parts - 1))] + [self.rng.random() + 0.2 for _n in range(parts - 1)]
        return _largest_remainder(total, weights)

    def _check_bands(self, plans: list[Plan]) -> None:
        """The ledger's bands are the ones planned (the plan drew the users inside each band)."""
        bands = dict(Entitlement.objects.filter(program=self.program).values_list("institution_id", "category_id"))
        index = {band.pk: i for i, band in enumerate(self.bands)}
        for plan in plans:
            got = bands.get(plan.pk)
            if (index[got] if got is not None else None) != plan.band:
                raise CommandError(f"{plan.name}: the ledger's band differs from the plan's")

    # -- people --

    def _write_staff(self, plans: list[Plan]) -> tuple[list[Any], list[Trainer]]:
        rng = self.rng
        unusable = make_password(None)
        joined = self.at(self.first_day, 9) - timedelta(days=90)

        def person(username: str) -> Any:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            return User(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{username}@kamusm.example",
                is_staff=True,
                password=unusable,
                date_joined=joined,
            )

        managers = [person(f"olcek-temsilci-{n:02d}") for n in range(1, scaled(ACCOUNT_MANAGERS, self.scale, 2) + 1)]
        trainer_users = [person(f"olcek-egitmen-{n:03d}") for n in range(1, scaled(TRAINERS, self.scale, 4) + 1)]
        managers = User.objects.bulk_create(managers)
        trainer_users = User.objects.bulk_create(trainer_users)
        group, _created = Group.objects.get_or_create(name=TRAINERS_GROUP)
        through = User.groups.through
        through.objects.bulk_create([through(user_id=u.pk, group_id=group.pk) for u in trainer_users])
        homes = [ANKARA, 41, 34, 35, 6, 16, 1, 7, 42, 55, 25, 27, 61, 21]
        trainers = Trainer.objects.bulk_create(
            [
                Trainer(user=u, home_province_id=homes[n % len(homes)], calendar_token=secrets.token_urlsafe(32))
                for n, u in enumerate(trainer_users)
            ]
        )
        # An account manager for every institution above band 1, a third of band 1, a few others.
        assigned: dict[int, list[int]] = defaultdict(list)
        for plan in plans:
            chance = (
                1.0 if (plan.band is None and plan.users) or (plan.band or 0) >= 2 else 0.33 if plan.band == 1 else 0.03
            )
            if rng.random() < chance:
                assigned[managers[rng.randrange(len(managers))].pk].append(plan.pk)
        for manager_id, institution_ids in sorted(assigned.items()):
            Institution.objects.filter(pk__in=institution_ids).update(account_manager_id=manager_id)
        self.made["account managers"] = len(managers)
        self.made["institutions with an account manager"] = sum(len(v) for v in assigned.values())
        self.made["trainers"] = len(trainers)
        return managers, trainers

    def _write_participants(self, plans: list[Plan]) -> None:
        rng = self.rng
        rows: list[Participant] = []
        for plan in plans:
            domain = f"kurum{plan.code}.example"
            for n in range(plan.participants):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                if rng.random() < 0.15:
                    first = f"{first} {rng.choice(FIRST_NAMES)}"
                email = ""
                if rng.random() < 0.7:
                    local = ascii_words(f"{first} {last}".replace("'", "").replace("-", ""))
                    email = f"{local}.{n + 1}@{domain}"
                rows.append(
                    Participant(
                        institution_id=plan.pk,
                        unit_id=rng.choices(plan.unit_ids, weights=plan.unit_weights)[0],
                        first_name=first,
                        last_name=last,
                        email=email,
                        role=Audience.TECHNICAL if rng.random() < 0.15 else Audience.USER,
                        multiplier=rng.random() < 0.12,
                        language="en" if rng.random() < 0.04 else "tr",
                    )
                )
        created = Participant.objects.bulk_create(rows, batch_size=BATCH)
        # created_at is set on insert: date the people before the program's first session.
        Participant.objects.update(created_at=self.at(self.first_day, 9) - timedelta(days=60))
        self.people: dict[int, list[int]] = defaultdict(list)
        self.person: dict[int, Participant] = {}
        for row in created:
            self.people[row.institution_id].append(row.pk)
            self.person[row.pk] = row
        self.made["participants"] = len(created)
        self.made["multipliers"] = sum(1 for r in created if r.multiplier)

    # -- trainers' time --

    def _cells(self, start: datetime, end: datetime) -> set[tuple[date, int]]:
        """The half days a session occupies (0: 09:00-13:00, 1: 13:00-17:00), every day it spans."""
        first, last = start.astimezone(self.tz), (end - timedelta(seconds=1)).astimezone(self.tz)
        cells = set()
        day = first.date()
        while day <= last.date():
            low = 0 if day > first.date() or first.hour < 13 else 1
            high = 1 if day < last.date() or last.hour >= 13 else 0
            cells |= {(day, half) for half in range(low, high + 1)}
            day += timedelta(days=1)
        return cells

    def _free_trainer(self, cells: set[tuple[date, int]]) -> Trainer | None:
        order = list(range(len(self.trainers)))
        self.rng.shuffle(order)
        for i in order:
            trainer = self.trainers[i]
            if not cells & self.busy[trainer.pk]:
                self.busy[trainer.pk] |= cells
                return trainer
        return None

    # -- classroom --

    def _write_classroom(self, plans: list[Plan]) -> list[Slot]:
        """Classroom sessions at the centre's venues, and their reservations replayed in time order."""
        rng = self.rng
        program = self.program
        count = scaled(CLASSROOM_SESSIONS, self.scale, 5)
        user_courses = [c for c in self.courses if c.audience == Audience.USER and c.hours <= 4]
        technical = [c for c in self.courses if c.audience == Audience.TECHNICAL and c.hours <= 4]
        slots = [(day, half, venue) for day in self.days for venue in self.venues for half in (0, 1)]
        chosen = sorted(rng.sample(range(len(slots)), min(count, len(slots))))
        sessions: list[Slot] = []
        for index in chosen:
            day, half, venue = slots[index]
            course = rng.choice(technical) if technical and rng.random() < 0.1 else rng.choice(user_courses)
            start = self.at(day, 9 if half == 0 else 13)
            end = start + timedelta(hours=course.hours)
            trainer = self._free_trainer(self._cells(start, end))
            past = end <= self.now
            announced = min(start - timedelta(days=21 + rng.randint(0, 30)), self.now - timedelta(hours=1))
            row = TrainingSession(
                program=program,
                course=course,
                kind=SessionKind.CLASSROOM,
                venue=venue,
                starts_at=start,
                ends_at=end,
                capacity=min(program.classroom_size, venue.seats),
                trainer=trainer,
                status=SessionStatus.COMPLETED if past else SessionStatus.ANNOUNCED,
                announced_at=announced,
            )
            sessions.append(Slot(session=row, past=past))
        for i in rng.sample(range(len(sessions)), max(1, round(len(sessions) * 0.015))):
            row = sessions[i].session
            row.status = SessionStatus.CANCELLED
            row.cancelled_at = self.between(row.announced_at, min(row.starts_at, self.now) - timedelta(hours=1))  # type: ignore[arg-type]
        created = TrainingSession.objects.bulk_create([s.session for s in sessions], batch_size=BATCH)
        for slot, row in zip(sessions, created, strict=True):
            slot.session = row
        self.made["classroom sessions"] = len(created)
        self.made["  classroom cancelled"] = sum(1 for s in sessions if s.session.status == SessionStatus.CANCELLED)
        reservations = self._replay_reservations(sessions, plans)
        rows = Reservation.objects.bulk_create(reservations, batch_size=BATCH)
        by_status: dict[str, int] = defaultdict(int)
        for row in rows:
            by_status[row.status] += 1
        self.made["reservations"] = len(rows)
        for status in ReservationStatus:
            self.made[f"  {status.value}"] = by_status[status.value]
        roster: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            if row.status == ReservationStatus.CONFIRMED:
                roster[row.session_id].append(row.participant_id)
        for slot in sessions:
            slot.roster = roster.get(slot.session.pk, [])
        return sessions

    def _replay_reservations(self, sessions: list[Slot], plans: list[Plan]) -> list[Reservation]:
        """The applications of the classroom institutions replayed in time order, as
        ``reservation_create`` would have answered them: confirmed while seats are free, then the
        waiting list; a cancelled seat goes to the first waiting; waiting places expire at the start;
        an institution stays within the quota and a person holds one live seat at most."""
        rng = self.rng
        quota = self.program.classroom_quota
        institutions = [p.pk for p in plans if p.band is not None and self.bands[p.band].delivery == Delivery.CLASSROOM]
        free_people = {pk: list(self.people[pk]) for pk in institutions}
        live = dict.fromkeys(institutions, 0)
        open_list = [pk for pk in institutions if free_people[pk]]
        listed = set(open_list)
        events: list[tuple[datetime, int, str, int, int]] = []
        seq = 0

        def push(when: datetime, kind: str, a: int, b: int = 0) -> None:
            nonlocal seq
            seq += 1
            heapq.heappush(events, (when, seq, kind, a, b))

        for index, slot in enumerate(sessions):
            row = slot.session
            closes = min(row.starts_at, self.now, row.cancelled_at or row.starts_at)
            if slot.past:
                wanted = round(row.capacity * rng.uniform(0.8, 1.25))
            else:
                wanted = round(row.capacity * rng.uniform(0.4, 1.4))
            while wanted > 0:
                group = min(wanted, rng.choice((1, 1, 1, 2, 2, 3)))
                push(self.between(row.announced_at, closes - timedelta(minutes=1)), "apply", index, group)  # type: ignore[arg-type]
                wanted -= group
            if row.cancelled_at is not None:
                push(row.cancelled_at, "cancel_session", index)
            elif row.starts_at <= self.now:
                push(row.starts_at, "start", index)

        made: list[dict[str, Any]] = []
        confirmed = [0] * len(sessions)
        waiting: list[list[int]] = [[] for _s in sessions]

        def release(res: dict[str, Any]) -> None:
            institution = res["institution"]
            live[institution] -= 1
            free_people[institution].append(res["participant"])
            if institution not in listed:
                listed.add(institution)
                open_list.append(institution)

        def pick() -> int | None:
            while open_list:
                i = rng.randrange(len(open_list))
                pk = open_list[i]
                if live[pk] < quota and free_people[pk]:
                    return pk
                open_list[i] = open_list[-1]
                open_list.pop()
                listed.discard(pk)
            return None

        while events:
            when, _seq, kind, index, group = heapq.heappop(events)
            if kind == "apply":
                row = sessions[index].session
                if row.cancelled_at is not None and when >= row.cancelled_at:
                    continue
                wanted = group
                while wanted > 0:  # an institution with fewer people or seats left leaves the rest to another
                    institution = pick()
                    if institution is None:
                        break
                    people = free_people[institution]
                    for _n in range(min(wanted, quota - live[institution], len(people))):
                        wanted -= 1
                        person = people.pop(rng.randrange(len(people)))
                        live[institution] += 1
                        res = {
                            "session": index,
                            "participant": person,
                            "institution": institution,
                            "applied_at": when,
                            "confirmed_at": None,
                            "cancelled_at": None,
                        }
                        if confirmed[index] < row.capacity:
                            confirmed[index] += 1
                            res["status"], res["confirmed_at"] = ReservationStatus.CONFIRMED, when
                        else:
                            res["status"] = ReservationStatus.WAITLISTED
                            waiting[index].append(len(made))
                        made.append(res)
                        if rng.random() < 0.05:
                            push(self.between(when, min(row.starts_at, self.now)), "cancel", len(made) - 1)
            elif kind == "cancel":
                res = made[index]
                session_index = res["session"]
                row = sessions[session_index].session
                if res["status"] not in (ReservationStatus.CONFIRMED, ReservationStatus.WAITLISTED):
                    continue
                if when >= row.starts_at:
                    continue
                was_confirmed = res["status"] == ReservationStatus.CONFIRMED
                res["status"], res["cancelled_at"] = ReservationStatus.CANCELLED, when
                release(res)
                if was_confirmed:
                    confirmed[session_index] -= 1
                    queue = waiting[session_index]
                    while queue:
                        first = made[queue.pop(0)]
                        if first["status"] == ReservationStatus.WAITLISTED:
                            first["status"], first["confirmed_at"] = ReservationStatus.CONFIRMED, when
                            confirmed[session_index] += 1
                            break
            elif kind == "cancel_session":
                for res in made:
                    if res["session"] == index and res["status"] in (
                        ReservationStatus.CONFIRMED,
                        ReservationStatus.WAITLISTED,
                    ):
                        res["status"], res["cancelled_at"] = ReservationStatus.CANCELLED, when
                        release(res)
                confirmed[index] = 0
                waiting[index] = []
            elif kind == "start":
                for position in waiting[index]:
                    res = made[position]
                    if res["status"] == ReservationStatus.WAITLISTED:
                        res["status"] = ReservationStatus.EXPIRED
                        release(res)
                waiting[index] = []
        # Written session by session in order of application: id order is application order.
        order = sorted(range(len(made)), key=lambda i: (made[i]["session"], made[i]["applied_at"], i))
        return [
            Reservation(
                session=sessions[made[i]["session"]].session,
                participant_id=made[i]["participant"],
                institution_id=made[i]["institution"],
                status=made[i]["status"],
                applied_at=made[i]["applied_at"],
                confirmed_at=made[i]["confirmed_at"],
                cancelled_at=made[i]["cancelled_at"],
            )
            for i in order
        ]

    # -- on site --

    def _write_onsite(self, plans: list[Plan]) -> list[Slot]:
        """Training requests of the on-site institutions and the sessions that deliver them, within
        each institution's hours: used + held never above the right."""
        rng = self.rng
        target = scaled(ONSITE_SESSIONS, self.scale, 10)
        onsite = [p for p in plans if p.band is not None and self.bands[p.band].delivery == Delivery.ONSITE]
        right_of = {p.pk: self.bands[p.band].hours for p in onsite if p.band is not None}
        roles: dict[int, str] = {}
        for plan in onsite:
            draw = rng.random()
            roles[plan.pk] = "none" if draw < 0.08 else "open" if draw < 0.13 else "rejected" if draw < 0.15 else "use"
        users = [p for p in onsite if roles[p.pk] == "use"]
        counts = self._session_counts(target, [right_of[p.pk] for p in users])
        n_sessions = {p.pk: n for p, n in zip(users, counts, strict=True)}
        cancel_left = max(1, round(target * 0.02))
        requests: list[RequestPlan] = []
        for plan in onsite:
            role = roles[plan.pk]
            if role == "none":
                continue
            right = right_of[plan.pk]
            province = plan.home if rng.random() < 0.9 else rng.choice(sorted(self.provinces))
            expected = max(1, min(60, round(plan.participants * rng.uniform(0.9, 1.3))))
            row = TrainingRequest(
                program=self.program,
                institution_id=plan.pk,
                province_id=province,
                expected_participants=expected,
                status=RequestStatus.SUBMITTED,
            )
            request = RequestPlan(row=row)
            requests.append(request)
            if role in ("open", "rejected"):  # nothing scheduled yet: the items hold their hours
                courses = rng.sample(self.courses, rng.randint(1, 2))
                request.items = [[c, max(2, right // len(courses) // 2 * 2)] for c in courses]
                row.submitted_at = self.between(self.now - timedelta(days=40), self.now - timedelta(days=1))
                if role == "rejected":
                    row.status = RequestStatus.REJECTED
                    row.rejection_reason = "Talep edilen tarihlerde eğitmen bulunamadı; yeni tarihlerle başvurunuz."
                    row.closed_at = self.between(row.submitted_at, self.now)
                continue
            parts = self._hours_parts(right, n_sessions[plan.pk])
            courses = rng.sample(self.courses, min(len(parts), rng.randint(1, 3), len(self.courses)))
            request.items = [[c, 0] for c in courses]
            for k, hours in enumerate(parts):
                item = k % len(courses)
                request.items[item][1] += hours
                session = self._onsite_session(row, courses[item], hours)
                if cancel_left > 0 and rng.random() < 0.03:
                    cancel_left -= 1
                    session.status = SessionStatus.CANCELLED
                request.sessions.append((item, session))
            spare = right - sum(parts)
            if spare >= 2 and rng.random() < 0.25:  # more asked than scheduled yet: held
                request.items[0][1] += 2 * rng.randint(1, spare // 2)
            self._date_request(request)
        made_requests = TrainingRequest.objects.bulk_create([r.row for r in requests], batch_size=BATCH)
        items = TrainingRequestItem.objects.bulk_create(
            [
                TrainingRequestItem(request=made, course=course, hours=hours)
                for made, request in zip(made_requests, requests, strict=True)
                for course, hours in request.items
            ],
            batch_size=BATCH,
        )
        item_rows = iter(items)
        rows: list[TrainingSession] = []
        for request in requests:
            mine = [next(item_rows) for _item in request.items]
            for item, session in request.sessions:
                session.request_item = mine[item]
                rows.append(session)
        created = TrainingSession.objects.bulk_create(rows, batch_size=BATCH)
        self.made["training requests"] = len(made_requests)
        self.made["  open (submitted)"] = sum(1 for r in made_requests if r.status == RequestStatus.SUBMITTED)
        self.made["  scheduled"] = sum(1 for r in made_requests if r.status == RequestStatus.SCHEDULED)
        self.made["  rejected"] = sum(1 for r in made_requests if r.status == RequestStatus.REJECTED)
        self.made["request items"] = len(items)
        self.made["on-site sessions"] = len(created)
        self.made["  on-site cancelled"] = sum(1 for r in created if r.status == SessionStatus.CANCELLED)
        self.made["on-site institutions without use"] = sum(1 for r in roles.values() if r == "none")
        # Rosters: most of the institution's people, up to the session's capacity.
        sessions: list[Slot] = []
        enrolments: list[Enrolment] = []
        for row in created:
            slot = Slot(session=row, past=row.ends_at <= self.now)
            sessions.append(slot)
            if row.status == SessionStatus.CANCELLED:
                continue
            assert row.institution_id is not None and row.announced_at is not None
            pool = self.people[row.institution_id]
            size = min(row.capacity, len(pool), max(1, round(len(pool) * rng.uniform(0.8, 1.0))))
            slot.roster = sorted(rng.sample(pool, size))
            latest = min(row.starts_at, self.now)
            for person in slot.roster:
                enrolments.append(
                    Enrolment(
                        session=row,
                        participant_id=person,
                        institution_id=row.institution_id,
                        enrolled_at=self.between(row.announced_at, latest),
                    )
                )
        Enrolment.objects.bulk_create(enrolments, batch_size=BATCH)
        self.made["enrolments"] = len(enrolments)
        return sessions

    def _session_counts(self, target: int, rights: list[int]) -> list[int]:
        """How many sessions each institution gets: ``target`` in proportion to the rights, at least
        one each and at most right / 2 (sessions last 2 hours at least)."""
        counts = [
            min(max(n, 1), right // 2)
            for n, right in zip(_largest_remainder(target, [float(r) for r in rights]), rights, strict=True)
        ]
        by_room = sorted(range(len(rights)), key=lambda i: (-rights[i], i))
        while sum(counts) < target:
            grown = False
            for i in by_room:
                if sum(counts) >= target:
                    break
                if counts[i] < rights[i] // 2:
                    counts[i] += 1
                    grown = True
            if not grown:
                break
        while sum(counts) > target:
            i = max(range(len(counts)), key=lambda i: (counts[i], -i))
            if counts[i] <= 1:
                break
            counts[i] -= 1
        return counts

    def _date_request(self, request: RequestPlan) -> None:
        """When the request came and its sessions were scheduled (and cancelled); its status follows:
        ``scheduled`` when every item is delivered in full, else open (``submitted``)."""
        rng = self.rng
        row = request.row
        first = min(s.starts_at for _i, s in request.sessions)
        row.submitted_at = min(first - timedelta(days=rng.randint(20, 45)), self.now - timedelta(days=1))
        low = row.submitted_at + timedelta(hours=1)
        for _item, session in request.sessions:
            latest = min(session.starts_at - timedelta(days=rng.randint(3, 18)), self.now - timedelta(hours=1))
            session.announced_at = self.between(low, max(latest, low))
            if session.status == SessionStatus.CANCELLED:
                session.cancelled_at = self.between(
                    session.announced_at, min(session.starts_at, self.now) - timedelta(minutes=1)
                )
        row.preferred_dates = [
            {
                "from": timezone.localdate(first, timezone=self.tz).isoformat(),
                "to": timezone.localdate(max(s.ends_at for _i, s in request.sessions), timezone=self.tz).isoformat(),
            }
        ]
        scheduled = sum(s.hours or 0 for _i, s in request.sessions if s.status != SessionStatus.CANCELLED)
        if scheduled >= sum(hours for _c, hours in request.items):
            row.status = RequestStatus.SCHEDULED
            row.closed_at = max(s.announced_at for _i, s in request.sessions if s.announced_at is not None)

    def _hours_parts(self, right: int, n: int) -> list[int]:
        """``n`` session lengths (2 to 8 hours, even) within ``right`` hours, most of it used."""
        parts = [2] * n
        budget = right - 2 * n
        budget -= 2 * self.rng.randint(0, min(2, budget // 2))  # often a little is left unused
        order = list(range(n))
        while budget >= 2 and order:
            i = self.rng.choice(order)
            if parts[i] >= 8:
                order.remove(i)
                continue
            parts[i] += 2
            budget -= 2
        return parts

    def _onsite_session(self, request: TrainingRequest, course: Course, hours: int) -> TrainingSession:
        rng = self.rng
        for _attempt in range(500):
            future = self.future_days and rng.random() >= 0.75
            day = rng.choice(self.future_days if future else self.past_days)
            hour = 13 if hours <= 4 and rng.random() < 0.4 else 9
            start = self.at(day, hour)
            end = start + timedelta(hours=hours)
            trainer = self._free_trainer(self._cells(start, end))
            if trainer is not None:
                break
        else:
            raise CommandError("No trainer is free for an on-site session: too few trainers for the sessions.")
        address = "Kurum eğitim salonu" if rng.random() < 0.5 else ""
        return TrainingSession(
            program=self.program,
            course=course,
            kind=SessionKind.ONSITE,
            institution_id=request.institution_id,
            province_id=request.province_id,
            address=address,
            starts_at=start,
            ends_at=end,
            hours=hours,
            capacity=request.expected_participants,
            trainer=trainer,
            status=SessionStatus.COMPLETED if end <= self.now else SessionStatus.ANNOUNCED,
        )

    # -- attendance and certificates --

    def _write_attendance_and_certificates(self, slots: list[Slot], plans: list[Plan]) -> None:
        rng = self.rng
        rule_of = {p.pk: self.bands[p.band].certificate_rule for p in plans if p.band is not None}
        names = {p.pk: p.name for p in plans}
        marks: list[Attendance] = []
        issued: list[tuple[datetime, int, int, Slot]] = []  # (issued at, session, participant)
        for slot in slots:
            row = slot.session
            if not slot.past or row.status == SessionStatus.CANCELLED:
                continue
            recorder = row.trainer.user_id if row.trainer is not None else None
            recorded = min(row.ends_at + timedelta(minutes=rng.randint(15, 48 * 60)), self.now - timedelta(minutes=1))
            for person in slot.roster:
                draw = rng.random()
                status = (
                    AttendanceStatus.FULL
                    if draw < 0.8
                    else AttendanceStatus.PARTIAL
                    if draw < 0.92
                    else AttendanceStatus.ABSENT
                )
                marks.append(
                    Attendance(
                        session=row,
                        participant_id=person,
                        status=status,
                        recorded_at=recorded,
                        recorded_by_id=recorder,
                    )
                )
                institution = self.person[person].institution_id
                if eligible(rule_of[institution], status):
                    issued.append((recorded, row.pk, person, slot))
        Attendance.objects.bulk_create(marks, batch_size=BATCH)
        self.made["attendance marks"] = len(marks)
        issued.sort(key=lambda x: (x[0], x[1], x[2]))
        serials = serials_take(self.program.year, len(issued)) if issued else []
        codes: set[str] = set()
        rows = []
        for (when, _session, person, slot), serial in zip(issued, serials, strict=True):
            row = slot.session
            participant = self.person[person]
            code = code_new()
            while code in codes:  # pragma: no cover - 80 random bits
                code = code_new()
            codes.add(code)
            if row.kind == SessionKind.CLASSROOM:
                place = row.venue.name  # type: ignore[union-attr]
            else:
                place = ", ".join(x for x in (self.provinces[row.province_id].name, row.address) if x)  # type: ignore[index]
            rows.append(
                Certificate(
                    participant_id=person,
                    session=row,
                    institution_id=participant.institution_id,
                    serial=serial,
                    code=code,
                    status=CertificateStatus.PENDING,
                    language=participant.language,
                    participant_name=participant.full_name,
                    institution_name=names[participant.institution_id],
                    course_title=row.course.title_tr,
                    course_title_en=row.course.title_en,
                    hours=row.counted_hours,
                    starts_on=row.starts_at.astimezone(self.tz).date(),
                    ends_on=row.ends_at.astimezone(self.tz).date(),
                    place=place,
                    issued_at=when,
                )
            )
        Certificate.objects.bulk_create(rows, batch_size=1_000)
        self.made["certificates (pending, no PDF yet)"] = len(rows)
