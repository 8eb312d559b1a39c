"""Recompute the entitlements of 10,000 institutions with 60,000 units.

The project's service (set-based SQL) against a naive baseline in the same run: a loop that
loads each institution's units, sums them, finds the band and saves its entitlement one by one
(with its history row, as the model's save writes it).

Targets (2-core machine, embedded SQLite): service at least 20 times faster than the baseline,
under 5 s, and a number of queries that does not grow with the institution count.

Run: ``make bench`` or ``.venv/bin/python bench/entitlements.py [--institutions N]``.
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import django_on_fresh_database, timed


def build(n_institutions: int, units_per_institution: int) -> None:
    from entitlements.models import District, Institution, Unit

    rng = random.Random(2012)
    districts = list(District.objects.select_related("province"))
    Institution.objects.bulk_create(
        Institution(name=f"Kurum {i:05d} Müdürlüğü", code=f"B{i:07d}", kind="other", search_key=f"kurum {i:05d}")
        for i in range(n_institutions)
    )
    units = []
    for institution_id in Institution.objects.values_list("pk", flat=True):
        units.append(
            Unit(institution_id=institution_id, level="merkez", name="Merkez", active_users=rng.randint(0, 80))
        )
        for k in range(units_per_institution - 1):
            district = rng.choice(districts)
            if k % 2:
                units.append(
                    Unit(
                        institution_id=institution_id,
                        level="il",
                        name=f"{district.province.name} İl {k}",
                        province_id=district.province_id,
                        active_users=rng.randint(0, 4000),
                    )
                )
            else:
                units.append(
                    Unit(
                        institution_id=institution_id,
                        level="ilce",
                        name=f"{district.name} {k}",
                        province_id=district.province_id,
                        district=district,
                        active_users=rng.randint(0, 400),
                    )
                )
    Unit.objects.bulk_create(units, batch_size=5000)


def naive_recompute() -> None:
    """The baseline: one institution at a time, every row saved on its own."""
    from entitlements.models import Entitlement, EntitlementFlag, Institution, Program

    for program in Program.objects.filter(is_open=True):
        bands = list(program.categories.all())
        for institution in Institution.objects.all():
            total = sum(unit.active_users for unit in institution.units.all())
            band = next((b for b in bands if b.min_users <= total <= b.max_users), None)
            flag = EntitlementFlag.NO_USERS if total == 0 else ("" if band else EntitlementFlag.ABOVE_LAST_BAND)
            entitlement, _ = Entitlement.objects.get_or_create(program=program, institution=institution)
            entitlement.previous_total_active_users = entitlement.total_active_users
            entitlement.total_active_users = total
            entitlement.category = band
            entitlement.flag = flag
            entitlement.save()


def shuffle_counts(seed: int) -> None:
    from django.db.models import F

    from entitlements.models import Unit

    Unit.objects.update(active_users=(F("active_users") + seed) % 5000)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--institutions", type=int, default=10_000)
    parser.add_argument("--units", type=int, default=6, help="units per institution (1 merkez + il/ilce)")
    args = parser.parse_args()

    django_on_fresh_database("entitlements")
    from django.db import connection, transaction

    from entitlements.models import Entitlement, Unit
    from entitlements.services import entitlement_recompute

    build(args.institutions, args.units)
    print(
        f"entitlement recompute: {args.institutions:,} institutions, {Unit.objects.count():,} units, "
        f"{connection.vendor}"
    )
    results: dict = {}

    def reset():
        Entitlement.history.all().delete()
        Entitlement.objects.all().delete()

    with timed("service, first run (creates every row)", results):
        entitlement_recompute()
    shuffle_counts(7)
    with timed("service, every count changed", results):
        entitlement_recompute()
    with timed("service, nothing changed", results):
        entitlement_recompute()

    reset()
    with timed("baseline, first run (creates every row)", results), transaction.atomic():
        naive_recompute()
    shuffle_counts(11)
    with timed("baseline, every count changed", results), transaction.atomic():
        naive_recompute()

    # Queries must not grow with the institution count: same run on a tenth of the rows.
    from entitlements.models import Institution

    small = Institution.objects.filter(pk__in=list(Institution.objects.values_list("pk", flat=True)[:1000]))
    shuffle_counts(13)
    with timed("service, 1,000 institutions (query count check)", results):
        entitlement_recompute(institutions=small)

    first = results["baseline, first run (creates every row)"][0] / results["service, first run (creates every row)"][0]
    changed = results["baseline, every count changed"][0] / results["service, every count changed"][0]
    worst = max(results["service, first run (creates every row)"][0], results["service, every count changed"][0])
    same_queries = (
        results["service, every count changed"][1] == results["service, 1,000 institutions (query count check)"][1]
    )
    print(f"  speed-up, first run: {first:.1f}x   every count changed: {changed:.1f}x")
    ok = min(first, changed) >= 20 and worst < 5 and same_queries
    print(
        f"  target (>= 20x, < 5 s, queries independent of institution count): {'MET' if ok else 'NOT MET'}"
        f" (slowest service run {worst:.2f} s, queries same for 1,000 and all: {same_queries})"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
