"""Benchmark: import of a 60,000-row user-count CSV through ``manage.py import_user_counts``.

Run as ``.venv/bin/python bench/import_user_counts.py [--rows 60000] [--baseline-rows 6000] [--keep]``.

It makes a fresh SQLite database under ``var/bench/``, migrates it, writes a CSV of 10,000
institutions (one ``merkez`` and five ``il``/``ilçe`` units each, spread over every province with
real district names) and times:

1. the first import (everything is created),
2. a second import of the same file with changed counts (everything is matched, half updated),
3. a naive baseline in the same run: per row ``get_or_create`` + ``save()`` with the model's own
   history, then one recomputation per institution, as a form-by-form import would do. The
   baseline runs on a slice (``--baseline-rows``, 6,000 by default) and is extrapolated linearly
   to the full file, which is said in the output.

The target is < 60 s for the 60,000-row import.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sys
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BENCH_DIR = BASE_DIR / "var" / "bench"
TARGET_SECONDS = 60.0
HEADERS = ["kurum_kodu", "kurum_adi", "birim_duzeyi", "birim_adi", "il_plaka_kodu", "ilce", "aktif_kullanici"]


def setup(db_path: Path) -> None:
    sys.path.insert(0, str(BASE_DIR))
    os.environ["DJANGO_SETTINGS_MODULE"] = "kamusm_portal.settings"
    os.environ["DEBUG"] = "true"
    os.environ["DATABASE_URL"] = f"sqlite:///{db_path}"
    import django

    django.setup()
    from django.conf import settings

    # DEBUG only supplies the development secret key; with it on, every query would also be
    # logged in memory, which no production import pays for.
    settings.DEBUG = False
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def make_rows(n_rows: int, *, code_prefix: str, seed: int, units_per_institution: int = 6) -> list[list[str]]:
    data = json.loads((BASE_DIR / "entitlements" / "data" / "provinces_districts.json").read_text(encoding="utf-8"))
    provinces = [(p["plate"], p["name"], p["districts"]) for p in data["provinces"]]
    rng = random.Random(seed)
    rows: list[list[str]] = []
    n_institutions = -(-n_rows // units_per_institution)
    for i in range(n_institutions):
        code = f"{code_prefix}{i:06d}"
        name = f"Kurum {i} Genel Müdürlüğü"
        plate, _, _ = rng.choice(provinces)
        rows.append([code, name, "merkez", "Genel Müdürlük", str(plate), "", str(rng.randint(1, 400))])
        chosen = rng.sample(provinces, units_per_institution - 1)
        for k, (plate, province_name, districts) in enumerate(chosen):
            if k % 2 == 0 or not districts:
                rows.append(
                    [code, name, "il", f"{province_name} İl Müdürlüğü", f"{plate:02d}", "", str(rng.randint(0, 900))]
                )
            else:
                district = rng.choice(districts)
                rows.append(
                    [code, name, "ilçe", f"{district} İlçe Müdürlüğü", str(plate), district, str(rng.randint(0, 90))]
                )
    return rows[:n_rows]


def write_csv(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(HEADERS)
        writer.writerows(rows)


def timed_command(path: Path) -> tuple[float, str]:
    import io

    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("import_user_counts", str(path), stdout=out)
    return time.perf_counter() - started, out.getvalue().strip()


def naive_import(rows: list[list[str]]) -> float:
    """The obvious per-row import: lookups, get_or_create and save() per row, recompute per institution."""
    from django.db import transaction

    from entitlements.models import District, Institution, Province, Unit
    from entitlements.services import entitlement_recompute

    started = time.perf_counter()
    with transaction.atomic():
        touched: list[int] = []
        for code, name, level, unit_name, plate, district_name, users in rows:
            level = "ilce" if level == "ilçe" else level
            province = Province.objects.get(plate=int(plate)) if plate else None
            district = District.objects.get(province=province, name=district_name) if district_name else None
            institution, created = Institution.objects.get_or_create(code=code, defaults={"name": name})
            if created:
                touched.append(institution.pk)
            lookup = {"institution": institution, "level": level}
            if level != "merkez":
                lookup.update(name=unit_name, province=province, district=district)
            unit, created = Unit.objects.get_or_create(
                **lookup,
                defaults={"name": unit_name, "province": province, "district": district, "active_users": int(users)},
            )
            if not created and unit.active_users != int(users):
                unit.active_users = int(users)
                unit.save(update_fields=["active_users"])
        for pk in touched:
            entitlement_recompute(institutions=Institution.objects.filter(pk=pk), reason="import")
    return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60_000)
    parser.add_argument("--baseline-rows", type=int, default=6_000)
    parser.add_argument("--keep", action="store_true", help="keep the database and CSV under var/bench/")
    args = parser.parse_args()

    BENCH_DIR.mkdir(parents=True, exist_ok=True)
    db_path = BENCH_DIR / f"import_user_counts_{os.getpid()}.sqlite3"
    csv_path = BENCH_DIR / f"user_counts_{args.rows}.csv"
    csv2_path = BENCH_DIR / f"user_counts_{args.rows}_changed.csv"
    started = time.perf_counter()
    setup(db_path)
    print(
        f"database: {db_path.relative_to(BASE_DIR)} (fresh SQLite, migrated in {time.perf_counter() - started:.1f} s)"
    )
    try:
        from entitlements.models import Entitlement, Institution, Unit

        rows = make_rows(args.rows, code_prefix="9", seed=2012)
        write_csv(csv_path, rows)
        size = csv_path.stat().st_size
        n_inst = len({r[0] for r in rows})
        print(f"file: {csv_path.name}: {len(rows):,} rows, {n_inst:,} institutions, {size / 1e6:.1f} MB")

        first, out = timed_command(csv_path)
        print(f"\n1. import_user_counts, first import (all created): {first:.1f} s, {len(rows) / first:,.0f} rows/s")
        print("   " + out.replace("\n", "\n   "))
        assert Unit.objects.count() == len(rows), "every row must be a unit"
        assert Institution.objects.count() == n_inst

        rng = random.Random(7)
        changed = [[*r[:6], str(int(r[6]) + rng.choice((0, 1)))] for r in rows]
        write_csv(csv2_path, changed)
        second, out = timed_command(csv2_path)
        print(
            f"\n2. import_user_counts, re-import (all matched, ~half updated): {second:.1f} s, "
            f"{len(rows) / second:,.0f} rows/s"
        )
        print("   " + out.replace("\n", "\n   "))

        n = min(args.baseline_rows, len(rows))
        slice_rows = make_rows(n, code_prefix="B", seed=2013)
        naive = naive_import(slice_rows)
        naive_full = naive * len(rows) / n
        print(
            f"\n3. naive baseline (per-row get_or_create + save, recompute per institution) on {n:,} rows: "
            f"{naive:.1f} s, {n / naive:,.0f} rows/s"
        )
        print(f"   extrapolated linearly to {len(rows):,} rows: ~{naive_full:.0f} s")

        print("\nsummary")
        print(f"   rows                      {len(rows):>10,}")
        print(f"   first import              {first:>10.1f} s   {len(rows) / first:>8,.0f} rows/s")
        print(f"   re-import                 {second:>10.1f} s   {len(rows) / second:>8,.0f} rows/s")
        print(f"   naive (extrapolated)      {naive_full:>10.1f} s   {n / naive:>8,.0f} rows/s")
        ratio_first, ratio_second = naive_full / first, naive_full / second
        print(f"   speed-up vs naive         {ratio_first:>10.1f} x (first), {ratio_second:.1f} x (re-import)")
        verdict = "PASS" if max(first, second) < TARGET_SECONDS else "FAIL"
        print(f"   target                    < {TARGET_SECONDS:.0f} s for {len(rows):,} rows: {verdict}")
        print(f"   entitlement rows          {Entitlement.objects.count():>10,}")
        return 0 if verdict == "PASS" else 1
    finally:
        if not args.keep:
            from django.db import connections

            connections.close_all()
            for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"), csv_path, csv2_path):
                path.unlink(missing_ok=True)


if __name__ == "__main__":
    sys.exit(main())
