"""Demo institutions and people for trying the portal (``make run`` loads them).

Idempotent: institutions are looked up by their code and people by their username, so a second
run adds nothing and prints the same logins. Quiet: the e-mails the demo's actions send (set your
password, a session is announced, a certificate is ready) go nowhere (Django's dummy e-mail
backend, for this command only; the served portal still prints its own on the console), and the
logins table is the last thing it prints, where a newcomer looks after ``make run``. Passwords
are made on the first run and kept in a file under ``var/`` (mode 0600); none is written in code.
Everything goes through the services, as an official's or the centre's own actions would.

The data is fixed (no randomness that differs between runs): about 40 institutions of every kind,
whose units add up to the letter's 145,000 active users, in every band that this total allows,
plus one institution with no users. Band 5 (100,001 or more) cannot sit beside band 4 (50,001 or
more) within 145,000 users, so the demo keeps the letter's total and shows bands Standard to 4.
"""

from __future__ import annotations

import json
import os
import random
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Sum
from django.test.utils import override_settings

from entitlements.models import (
    District,
    Institution,
    InstitutionKind,
    Province,
    Unit,
    UnitLevel,
)
from entitlements.services import UnitData, institution_create, official_create
from kamusm_portal.roles import PROGRAMME_STAFF_GROUP
from kamusm_portal.text import ascii_words
from sessions.services import trainer_create

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from sessions.models import Course, TrainingRequest
else:
    User = get_user_model()

DEMO_TOTAL_ACTIVE_USERS = 145_000
QUIET_EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
"""Where the demo's e-mails go while it is loaded: nowhere (they are sent, after each commit, in
this process when there is no broker; with one, a worker sends them with its own settings)."""
ANKARA = 6


@dataclass(frozen=True)
class InstitutionSpec:
    """One demo institution: its units are laid out from these figures, deterministically.

    ``il`` provincial units go to that many provinces (every province when 81); ``ilce`` district
    units go to real districts of those provinces, or of ``home`` when there are no provincial
    units. ``{province}`` and ``{district}`` in the unit name templates are filled in.
    """

    code: str
    name: str
    kind: str
    users: int
    home: int = ANKARA
    il: int = 0
    ilce: int = 0
    il_name: str = "{province} İl Müdürlüğü"
    ilce_name: str = "{district} İlçe Müdürlüğü"
    merkez_name: str = "Merkez Teşkilatı"


K = InstitutionKind
# fmt: off
INSTITUTIONS: list[InstitutionSpec] = [
    # Band 4 (50,001 – 100,000)
    InstitutionSpec(
        "10000318", "T.C. Adalet Bakanlığı", K.MINISTRY, 54_000, il=81, ilce=60,
        il_name="{province} Cumhuriyet Başsavcılığı", ilce_name="{district} Adliyesi",
    ),
    # Band 3 (10,001 – 50,000)
    InstitutionSpec(
        "10000562", "T.C. Sağlık Bakanlığı", K.MINISTRY, 17_500, il=40, ilce=30,
        il_name="{province} İl Sağlık Müdürlüğü", ilce_name="{district} Devlet Hastanesi",
    ),
    InstitutionSpec(
        "10001431", "Gelir İdaresi Başkanlığı", K.PRESIDENCY, 14_200, il=30, ilce=25,
        il_name="{province} Vergi Dairesi Başkanlığı", ilce_name="{district} Vergi Dairesi Müdürlüğü",
    ),
    InstitutionSpec(
        "10002187", "Sosyal Güvenlik Kurumu Başkanlığı", K.PRESIDENCY, 11_800, il=35, ilce=20,
        il_name="{province} Sosyal Güvenlik İl Müdürlüğü", ilce_name="{district} Sosyal Güvenlik Merkezi",
    ),
    InstitutionSpec(
        "10002755", "Tapu ve Kadastro Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 10_400, il=22, ilce=25,
        il_name="{province} Tapu ve Kadastro Bölge Müdürlüğü", ilce_name="{district} Tapu Müdürlüğü",
    ),
    # Band 2 (1,001 – 10,000)
    InstitutionSpec(
        "10000404", "T.C. İçişleri Bakanlığı", K.MINISTRY, 6_300, il=25, ilce=15,
        il_name="{province} İl Yazı İşleri Müdürlüğü", ilce_name="{district} Kaymakamlığı",
    ),
    InstitutionSpec(
        "10000476", "T.C. Milli Eğitim Bakanlığı", K.MINISTRY, 5_200, il=30, ilce=20,
        il_name="{province} İl Milli Eğitim Müdürlüğü", ilce_name="{district} İlçe Milli Eğitim Müdürlüğü",
    ),
    InstitutionSpec(
        "10003029", "Emniyet Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 4_100, il=20, ilce=12,
        il_name="{province} İl Emniyet Müdürlüğü", ilce_name="{district} İlçe Emniyet Müdürlüğü",
    ),
    InstitutionSpec(
        "10003164", "Nüfus ve Vatandaşlık İşleri Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 3_600, il=18, ilce=14,
        il_name="{province} İl Nüfus ve Vatandaşlık Müdürlüğü", ilce_name="{district} İlçe Nüfus Müdürlüğü",
    ),
    InstitutionSpec(
        "10003398", "Karayolları Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 2_400, il=12, ilce=6,
        il_name="{province} Karayolları Bölge Müdürlüğü", ilce_name="{district} Bakım ve Ekipman Şefliği",
    ),
    InstitutionSpec(
        "10003441", "Devlet Su İşleri Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 2_050, il=14, ilce=4,
        il_name="{province} DSİ Bölge Müdürlüğü", ilce_name="{district} Şube Müdürlüğü",
    ),
    InstitutionSpec(
        "10004726", "İstanbul Büyükşehir Belediyesi", K.MUNICIPALITY, 1_900, home=34, ilce=15,
        merkez_name="Saraçhane Hizmet Binası", ilce_name="{district} İlçe Hizmet Birimi",
    ),
    InstitutionSpec(
        "10004613", "Ankara Büyükşehir Belediyesi", K.MUNICIPALITY, 1_500, ilce=9,
        merkez_name="Ulus Hizmet Binası", ilce_name="{district} İlçe Hizmet Birimi",
    ),
    InstitutionSpec(
        "10005820", "Hacettepe Üniversitesi", K.UNIVERSITY, 1_150, ilce=3,
        merkez_name="Rektörlük", ilce_name="{district} Yerleşkesi",
    ),
    InstitutionSpec(
        "10003517", "Orman Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 1_020, il=10, ilce=6,
        il_name="{province} Orman Bölge Müdürlüğü", ilce_name="{district} Orman İşletme Şefliği",
    ),
    # Band 1 (101 – 1,000)
    InstitutionSpec(
        "10000650", "T.C. Çalışma ve Sosyal Güvenlik Bakanlığı", K.MINISTRY, 850, il=12,
        il_name="{province} Çalışma ve İş Kurumu İl Müdürlüğü",
    ),
    InstitutionSpec(
        "10004258", "İzmir Valiliği", K.GOVERNORSHIP, 780, home=35, ilce=12,
        merkez_name="Valilik Merkez Birimi", ilce_name="{district} Kaymakamlığı",
    ),
    InstitutionSpec(
        "10005874", "Ankara Üniversitesi", K.UNIVERSITY, 690, ilce=4,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec(
        "10001559", "Diyanet İşleri Başkanlığı", K.PRESIDENCY, 610, il=15, ilce=10,
        il_name="{province} İl Müftülüğü", ilce_name="{district} İlçe Müftülüğü",
    ),
    InstitutionSpec(
        "10001602", "Türkiye İstatistik Kurumu Başkanlığı", K.PRESIDENCY, 560, il=12,
        il_name="TÜİK {province} Bölge Müdürlüğü",
    ),
    InstitutionSpec(
        "10004937", "Bursa Büyükşehir Belediyesi", K.MUNICIPALITY, 540, home=16, ilce=6,
        merkez_name="Belediye Merkez Binası", ilce_name="{district} İlçe Hizmet Birimi",
    ),
    InstitutionSpec(
        "10005931", "Orta Doğu Teknik Üniversitesi", K.UNIVERSITY, 470, merkez_name="Rektörlük",
    ),
    InstitutionSpec(
        "10006143", "Muğla Sıtkı Koçman Üniversitesi", K.UNIVERSITY, 443, home=48, ilce=5,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec(
        "10004315", "Gaziantep Valiliği", K.GOVERNORSHIP, 430, home=27, ilce=6,
        merkez_name="Valilik Merkez Birimi", ilce_name="{district} Kaymakamlığı",
    ),
    InstitutionSpec(
        "10000739", "T.C. Kültür ve Turizm Bakanlığı", K.MINISTRY, 420, il=10,
        il_name="{province} İl Kültür ve Turizm Müdürlüğü",
    ),
    InstitutionSpec(
        "10006026", "Ege Üniversitesi", K.UNIVERSITY, 380, home=35, ilce=3,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec(
        "10003680", "Meteoroloji Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 320, il=8,
        il_name="{province} Meteoroloji Bölge Müdürlüğü",
    ),
    InstitutionSpec(
        "10004372", "Erzurum Valiliği", K.GOVERNORSHIP, 310, home=25, ilce=5,
        merkez_name="Valilik Merkez Birimi", ilce_name="{district} Kaymakamlığı",
    ),
    InstitutionSpec(
        "10006082", "Karadeniz Teknik Üniversitesi", K.UNIVERSITY, 260, home=61, ilce=3,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec(
        "10004994", "Eskişehir Büyükşehir Belediyesi", K.MUNICIPALITY, 240, home=26, ilce=2,
        merkez_name="Belediye Merkez Binası", ilce_name="{district} İlçe Hizmet Birimi",
    ),
    # Standard (1 – 100)
    InstitutionSpec(
        "10006295", "Ölçme, Seçme ve Yerleştirme Merkezi Başkanlığı", K.PRESIDENCY, 99, merkez_name="Merkez Bina",
    ),
    InstitutionSpec(
        "10004429", "Kırşehir Valiliği", K.GOVERNORSHIP, 95, home=40, ilce=3,
        merkez_name="Valilik Merkez Birimi", ilce_name="{district} Kaymakamlığı",
    ),
    InstitutionSpec("10006351", "Türk Patent Enstitüsü", K.OTHER, 88, merkez_name="Merkez Bina"),
    InstitutionSpec(
        "10003736", "Devlet Tiyatroları Genel Müdürlüğü", K.GENERAL_DIRECTORATE, 71, il=3,
        il_name="{province} Devlet Tiyatrosu Müdürlüğü",
    ),
    InstitutionSpec(
        "10006408", "Artvin Çoruh Üniversitesi", K.UNIVERSITY, 64, home=8, ilce=2,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec(
        "10006464", "Gümüşhane İl Özel İdaresi", K.OTHER, 57, home=29, merkez_name="Genel Sekreterlik",
    ),
    InstitutionSpec("10005051", "Ardahan Belediyesi", K.MUNICIPALITY, 42, home=75, merkez_name="Belediye Binası"),
    InstitutionSpec(
        "10006521", "Bayburt Üniversitesi", K.UNIVERSITY, 38, home=69, ilce=1,
        merkez_name="Rektörlük", ilce_name="{district} Meslek Yüksekokulu",
    ),
    InstitutionSpec("10005108", "Sinop Belediyesi", K.MUNICIPALITY, 23, home=57, merkez_name="Belediye Binası"),
    # No active users: no entitlement, flagged for the centre.
    InstitutionSpec("10006577", "Iğdır Üniversitesi", K.UNIVERSITY, 0, home=76, merkez_name="Rektörlük"),
]
# fmt: on


@dataclass(frozen=True)
class Person:
    username: str
    first_name: str
    last_name: str
    role: str
    institution_code: str | None = None


SUPERUSER = Person("admin", "Sistem", "Yöneticisi", "superuser")
PROGRAMME_STAFF = Person("egitim", "Gülşen", "Çelik", "programme staff")
ACCOUNT_MANAGERS = [
    Person("temsilci1", "Oğuz", "Şahin", "account manager"),
    Person("temsilci2", "Şebnem", "Kılıç", "account manager"),
    Person("temsilci3", "İlker", "Güneş", "account manager"),
]
OFFICIALS = [
    Person("yetkili1", "Ayşe", "Yılmaz", "official", "10000318"),  # band 4
    Person("yetkili2", "Mehmet", "Öztürk", "official", "10000562"),  # band 3
    Person("yetkili3", "İbrahim", "Doğan", "official", "10000404"),  # band 2
    Person("yetkili4", "Özge", "Aydın", "official", "10004258"),  # band 1
    Person("yetkili5", "Çağrı", "Ünal", "official", "10004429"),  # Standard
    Person("yetkili6", "Şule", "Karağaç", "official", "10004429"),  # a second official, same institution
    Person("yetkili7", "Ümit", "Işık", "official", "10005051"),  # Standard
    Person("yetkili8", "Gökçe", "Erdoğan", "official", "10006351"),  # Standard
    Person("yetkili9", "Hülya", "Bağcı", "official", "10006577"),  # no active users
]
ACCOUNT_MANAGER_PERMISSIONS = ["view_institution", "view_unit", "view_entitlement", "view_official"]
ACCOUNT_MANAGER_SESSION_PERMISSIONS = ["view_trainingrequest", "view_trainingrequestitem", "view_trainingsession"]
# Trainers of the centre: person, home province (plate).
TRAINERS = [
    (Person("egitmen1", "Serkan", "Aksoy", "trainer"), 6),
    (Person("egitmen2", "Gülay", "Ertuğrul", "trainer"), 34),
    (Person("egitmen3", "İlkay", "Şenol", "trainer"), 35),
    (Person("egitmen4", "Çiğdem", "Tekin", "trainer"), 25),
]


def demo_total_active_users() -> int:
    return sum(spec.users for spec in INSTITUTIONS)


def _split(total: int, parts: int, rng: random.Random) -> list[int]:
    """``total`` over ``parts`` shares (each at least 1 when there is enough), the first the largest."""
    if total == 0:
        return [0] * parts
    weights = [rng.uniform(1.0, 3.0) for _ in range(parts)]
    weights[0] *= parts / 3 + 2  # the central unit holds a good part of the users
    rest = total - parts
    shares = [1 + int(rest * w / sum(weights)) for w in weights]
    shares[0] += total - sum(shares)
    return shares


def _district_label(district: District) -> str:
    # The post-code list calls a province's central district "Merkez": name it after the province.
    return f"{district.province.name} Merkez" if district.name == "Merkez" else district.name


def _units(spec: InstitutionSpec, provinces: dict[int, Province]) -> list[UnitData]:
    """The units of a demo institution, the same on every run and database (seeded by its code)."""
    rng = random.Random(f"kamusm-demo-{spec.code}")
    home = provinces[spec.home]
    il_provinces = [provinces[p] for p in sorted(rng.sample(sorted(provinces), spec.il))] if spec.il else []
    pool = list(District.objects.filter(province__in=il_provinces or [home]).select_related("province").order_by("pk"))
    districts = sorted(rng.sample(pool, min(spec.ilce, len(pool))), key=lambda d: d.pk)
    count = 1 + len(il_provinces) + len(districts)
    if spec.users and count > spec.users:
        raise CommandError(f"{spec.name}: {count} units for {spec.users} users")
    shares = iter(_split(spec.users, count, rng))
    units = [UnitData(level=UnitLevel.MERKEZ, name=spec.merkez_name, province=home, active_users=next(shares))]
    units += [
        UnitData(level=UnitLevel.IL, name=spec.il_name.format(province=p.name), province=p, active_users=next(shares))
        for p in il_provinces
    ]
    units += [
        UnitData(
            level=UnitLevel.ILCE,
            name=spec.ilce_name.format(district=_district_label(d)),
            province=d.province,
            district=d,
            active_users=next(shares),
        )
        for d in districts
    ]
    return units


class Command(BaseCommand):
    help = (
        "Load demo institutions and people (idempotent). Passwords are made on the first run, kept in "
        "the logins file (mode 0600) and printed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins-file",
            help="Where the demo passwords are kept (default: settings.DEMO_LOGINS_FILE or var/demo-logins.json).",
        )
        parser.add_argument(
            "--force", action="store_true", help="Run even with DEBUG off (demo accounts do not belong in production)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG and not options["force"]:
            raise CommandError("seed_demo makes demo accounts with known passwords: it runs only with DEBUG on.")
        total = demo_total_active_users()
        if total != DEMO_TOTAL_ACTIVE_USERS:  # a guard for whoever edits the table above
            raise CommandError(f"The demo institutions add up to {total} users, not {DEMO_TOTAL_ACTIVE_USERS}.")
        path = Path(
            options["logins_file"]
            or getattr(settings, "DEMO_LOGINS_FILE", None)
            or Path(settings.BASE_DIR) / "var" / "demo-logins.json"
        )
        passwords = _logins_read(path)

        # The e-mails leave when the transaction commits: the quiet backend covers the commit too.
        with override_settings(EMAIL_BACKEND=QUIET_EMAIL_BACKEND), transaction.atomic():
            created: list[str] = []
            accounts: dict[str, str | None] = {}

            def account(person: Person, **flags: Any) -> User:
                """The person's user, made with a known password when missing; an existing one is left as it is."""
                user = User.objects.filter(username=person.username).first()
                if user is not None:
                    accounts[person.username] = passwords.get(person.username)
                    return user
                password = passwords.get(person.username) or _password_new()
                user = User.objects.create_user(
                    username=person.username,
                    email=f"{person.username}@kamusm-demo.example",
                    first_name=person.first_name,
                    last_name=person.last_name,
                    password=password,
                    **flags,
                )
                passwords[person.username] = accounts[person.username] = password
                created.append(person.username)
                return user

            account(SUPERUSER, is_staff=True, is_superuser=True)
            staff = account(PROGRAMME_STAFF, is_staff=True)
            staff.groups.add(Group.objects.get(name=PROGRAMME_STAFF_GROUP))
            permissions = [
                *Permission.objects.filter(
                    content_type__app_label="entitlements", codename__in=ACCOUNT_MANAGER_PERMISSIONS
                ),
                *Permission.objects.filter(
                    content_type__app_label="training_sessions", codename__in=ACCOUNT_MANAGER_SESSION_PERMISSIONS
                ),
            ]
            managers = []
            for person in ACCOUNT_MANAGERS:
                manager = account(person, is_staff=True)
                manager.user_permissions.add(*permissions)
                managers.append(manager)

            provinces = {p.plate: p for p in Province.objects.all()}
            new_institutions = 0
            for index, spec in enumerate(INSTITUTIONS):
                if Institution.objects.filter(code=spec.code).exists():
                    continue
                institution_create(
                    name=spec.name,
                    code=spec.code,
                    kind=spec.kind,
                    units=_units(spec, provinces),
                    account_manager=managers[index % len(managers)],
                    by=staff,
                )
                new_institutions += 1

            for person in OFFICIALS:
                if User.objects.filter(username=person.username).exists():
                    accounts[person.username] = passwords.get(person.username)
                    continue
                password = passwords.get(person.username) or _password_new()
                official_create(
                    institution=Institution.objects.get(code=person.institution_code),
                    username=person.username,
                    email=f"{person.username}@kamusm-demo.example",
                    first_name=person.first_name,
                    last_name=person.last_name,
                    password=password,
                    by=staff,
                )
                passwords[person.username] = accounts[person.username] = password
                created.append(person.username)

            for person, plate in TRAINERS:
                if User.objects.filter(username=person.username).exists():
                    accounts[person.username] = passwords.get(person.username)
                    continue
                password = passwords.get(person.username) or _password_new()
                trainer_create(
                    username=person.username,
                    email=f"{person.username}@kamusm-demo.example",
                    first_name=person.first_name,
                    last_name=person.last_name,
                    home_province=provinces[plate],
                    password=password,
                    by=staff,
                )
                passwords[person.username] = accounts[person.username] = password
                created.append(person.username)

            _demo_classroom(staff)
            _demo_onsite(staff)

            # Kept before the commit: a crash after it must not leave accounts whose password is lost.
            _logins_write(path, passwords)

        self._report(path, accounts, new_institutions, created)

    def _report(self, path: Path, accounts: dict[str, str | None], new_institutions: int, created: list[str]) -> None:
        codes = [spec.code for spec in INSTITUTIONS]
        institutions = Institution.objects.filter(code__in=codes)
        users = Unit.objects.filter(institution__in=institutions).aggregate(total=Sum("active_users"))["total"] or 0
        self.stdout.write(
            f"Demo data: {institutions.count()} institutions with {users:,} active users "
            f"({new_institutions} institutions and {len(created)} accounts added now)."
        )
        names = dict(Institution.objects.filter(code__in=codes).values_list("code", "name"))
        people = [SUPERUSER, PROGRAMME_STAFF, *ACCOUNT_MANAGERS, *OFFICIALS, *(t for t, _plate in TRAINERS)]
        self.stdout.write(f"Demo logins (kept in {path}):")
        self.stdout.write(f"  {'username':<10} {'password':<18} role")
        for person in people:
            password = accounts.get(person.username)
            role = person.role
            if person.institution_code:
                role = f"{role}, {names.get(person.institution_code, person.institution_code)}"
            shown = password or "(account existed before seed_demo: password unchanged)"
            self.stdout.write(f"  {person.username:<10} {shown:<18} {role}")


# Participants nominated by the officials of the Standard institutions (for the classroom seats).
DEMO_PARTICIPANTS = {
    "10004429": [("Elif", "Şimşek"), ("Tuğba", "Çınar"), ("İsmail", "Ağaoğlu"), ("Işıl", "Öğüt")],
    "10005051": [("Gökhan", "Yıldız"), ("Nurcan", "Kuş"), ("Barış", "Ilgaz")],
    "10006351": [("Derya", "Uğur"), ("Cem", "Özdemir"), ("Sevgi", "İnce")],
}
# Classroom sessions: course, venue plate (Ankara 6, Gebze 41), days ahead, announced.
DEMO_SESSIONS = [
    ("EIMZA-101", 6, 30, True),
    ("EIMZA-102", 41, 37, True),
    ("EIMZA-103", 6, 44, True),
    ("EIMZA-104", 41, 51, True),
    ("EIMZA-201", 6, 60, False),
]


def _demo_classroom(staff: User) -> None:
    """Participants for the Standard institutions and a few classroom sessions, once."""
    from datetime import time, timedelta

    from django.utils import timezone

    from entitlements.models import Program
    from sessions.models import Course, Participant, TrainingSession, Venue
    from sessions.services import participant_create, session_announce, session_create

    for code, people in DEMO_PARTICIPANTS.items():
        institution = Institution.objects.get(code=code)
        for first, last in people:
            email = f"{ascii_words(f'{first} {last}')}@kamusm-demo.example"
            if not Participant.objects.filter(institution=institution, first_name=first, last_name=last).exists():
                participant_create(
                    institution=institution, data={"first_name": first, "last_name": last, "email": email}, by=staff
                )
    program = Program.objects.filter(year=2012).first()
    if program is None or TrainingSession.objects.filter(program=program).exists():
        return
    today = timezone.localdate()
    for course_code, plate, days, announce in DEMO_SESSIONS:
        day = today + timedelta(days=days)
        starts_at = timezone.make_aware(datetime.combine(day, time(9, 30)))
        session = session_create(
            program=program,
            course=Course.objects.get(code=course_code),
            venue=Venue.objects.filter(province_id=plate).first(),
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=4),
            by=staff,
        )
        if announce:
            session_announce(session=session, by=staff)


# On-site participants of the category 1-5 institutions (for rosters and attendance).
DEMO_ONSITE_PARTICIPANTS = {
    "10000318": [("Kübra", "Öztürk"), ("Oğuzhan", "Çelik"), ("Şeyma", "Iğdır")],
    "10000404": [("Ilgın", "Şahin"), ("Gülşah", "Ünlü"), ("İrfan", "Çağlayan"), ("Ömür", "Güç")],
}


def _demo_onsite(staff: User) -> None:
    """On-site requests in every state, a scheduled session, one delivered with its attendance and
    certificates, and one delivered with its roster enrolled and attendance left for the trainer
    to record, once."""
    from datetime import time, timedelta

    from django.utils import timezone

    from certificates.services import attendance_record
    from entitlements.models import Program
    from sessions.models import Course, Participant, Trainer, TrainingRequest
    from sessions.services import (
        enrolment_create,
        onsite_session_schedule,
        participant_create,
        training_request_create,
        unavailability_create,
    )

    program = Program.objects.filter(year=2012, is_open=True).first()
    codes = ["10000318", "10000562", "10000404", "10004258"]
    if program is None or TrainingRequest.objects.filter(institution__code__in=codes).exists():
        return
    for code, people in DEMO_ONSITE_PARTICIPANTS.items():
        institution = Institution.objects.get(code=code)
        for first, last in people:
            if not Participant.objects.filter(institution=institution, first_name=first, last_name=last).exists():
                participant_create(institution=institution, data={"first_name": first, "last_name": last}, by=staff)
    trainers = {t.user.username: t for t in Trainer.objects.select_related("user")}
    courses = {c.code: c for c in Course.objects.all()}
    technical = next(c for c in courses.values() if c.audience == "technical")
    today = timezone.localdate()

    def at(days: int, hour: int = 9) -> datetime:
        return timezone.make_aware(datetime.combine(today + timedelta(days=days), time(hour)))

    def ask(
        code: str,
        items: list[tuple[Course, int]],
        *,
        plate: int,
        windows: list[dict[str, date]] | None = None,
        expected: int = 20,
    ) -> TrainingRequest:
        institution = Institution.objects.get(code=code)
        return training_request_create(
            institution=institution,
            program=program,
            items=[{"course": course, "hours": hours} for course, hours in items],
            province=Province.objects.get(plate=plate),
            expected_participants=expected,
            preferred_dates=windows,
            notes="Toplantı salonu hazır; projeksiyon cihazı var.",
            by=staff,
        )

    unavailability_create(
        trainer=trainers["egitmen2"], starts_at=at(14, 0), ends_at=at(21, 0), reason="Yıllık izin", by=staff
    )
    # Band 4 (20 hours): one item scheduled, the other still held.
    band4 = ask("10000318", [(courses["EIMZA-101"], 8), (technical, 8)], plate=6)
    onsite_session_schedule(
        request=band4,
        course=courses["EIMZA-101"],
        trainer=trainers["egitmen1"],
        starts_at=at(25),
        ends_at=at(25, 17),
        address="Kurum Konferans Salonu",
        by=staff,
    )
    # Its technical item was delivered two weeks ago and its attendance recorded: certificates.
    earlier = onsite_session_schedule(
        request=band4,
        course=technical,
        trainer=trainers["egitmen3"],
        starts_at=at(-14),
        ends_at=at(-14, 17),
        address="Kurum Konferans Salonu",
        by=staff,
    )
    attendees = list(Participant.objects.filter(institution=band4.institution).order_by("pk"))
    enrolment_create(session=earlier, participants=attendees, by=staff)
    attendance_record(
        session=earlier,
        marks=[
            (person, "partial" if index == len(attendees) - 1 else "full") for index, person in enumerate(attendees)
        ],
        by=staff,
    )
    # Band 3 (16 hours) and band 1 (8 hours): open, for the queue and the proposal.
    ask(
        "10000562",
        [(courses["EIMZA-102"], 12)],
        plate=34,
        windows=[{"from": today + timedelta(days=30), "to": today + timedelta(days=45)}],
    )
    ask("10004258", [(courses["EIMZA-104"], 8)], plate=35, expected=12)
    # Band 2 (12 hours): a training delivered last week, recorded after the fact.
    delivered = ask("10000404", [(courses["EIMZA-101"], 8)], plate=6, expected=10)
    session = onsite_session_schedule(
        request=delivered,
        course=courses["EIMZA-101"],
        trainer=trainers["egitmen2"],
        starts_at=at(-7),
        ends_at=at(-7, 17),
        address="Hizmet Binası, Eğitim Salonu",
        by=staff,
    )
    enrolment_create(
        session=session, participants=list(Participant.objects.filter(institution=delivered.institution)), by=staff
    )


def _password_new() -> str:
    return secrets.token_urlsafe(12)


def _logins_read(path: Path) -> dict[str, str]:
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"Cannot read the demo logins file {path}: {exc}") from exc
    return {str(k): str(v) for k, v in data.get("passwords", {}).items()}


def _logins_write(path: Path, passwords: dict[str, str]) -> None:
    """Write the file readable by its owner only (0600), replacing the old one in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump({"passwords": dict(sorted(passwords.items()))}, handle, ensure_ascii=False, indent=2)
        handle.write("\n")
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
