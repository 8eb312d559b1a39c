"""The entitlement ledger: each institution's row per open program (its total of active users,
its band, its flag), recomputed set-based with a history row for every change."""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import Case, F, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce
from django.db.models.lookups import Exact, IsNull
from django.utils import timezone

from entitlements.models import Category, Entitlement, EntitlementFlag, Institution, Program, Unit
from entitlements.signals import entitlements_rebanded
from kamusm_portal.db import history_copy
from kamusm_portal.locking import locked_update
from kamusm_portal.services import service


def _total_users(institution_ref: OuterRef) -> Coalesce:
    return Coalesce(
        Subquery(
            Unit.objects.filter(institution_id=institution_ref)
            .order_by()
            .values("institution_id")
            .annotate(total=Sum("active_users"))
            .values("total")
        ),
        Value(0),
    )


@service
def entitlement_recompute(
    *,
    institutions: QuerySet[Institution] | None = None,
    programs: Iterable[Program] | None = None,
    by: User | None = None,
    reason: str = "recomputed",
) -> int:
    """Recompute the entitlements of some institutions (``None``: all) in the open programs.

    Set-based: per program one INSERT for missing rows, one UPDATE of the rows whose total, band
    or flag changed, and one INSERT of their history rows (who, when, from what total), so the
    number of queries does not grow with the number of institutions. Only rows that change get
    a history row. Usage (reservations, sessions) is never touched. Returns the rows changed.

    After commit it sends ``entitlements_rebanded`` with the existing rows it moved to another band
    (one SELECT per program finds them), so the layer that counts usage checks whether it is now
    above the right, or back within it (docs/domain.md, "Usage above the right"). Rows made by
    this call are not among them: nothing can be used under a row that did not exist.
    """
    if programs is None:
        programs = Program.objects.filter(is_open=True)
    now = timezone.now()
    changed = 0
    rebanded: list[int] = []
    for program in programs:
        _entitlement_rows_ensure(program=program, institutions=institutions)
        total = _total_users(OuterRef("institution_id"))
        inner_total = _total_users(OuterRef(OuterRef("institution_id")))
        band = Subquery(
            Category.objects.filter(program_id=program.pk, min_users__lte=inner_total, max_users__gte=inner_total)
            .order_by("min_users")
            .values("id")[:1]
        )
        flag = Case(
            When(Exact(total, 0), then=Value(EntitlementFlag.NO_USERS.value)),
            When(IsNull(band, True), then=Value(EntitlementFlag.ABOVE_LAST_BAND.value)),
            default=Value(""),
        )
        rows = Entitlement.objects.filter(program=program)
        if institutions is not None:
            rows = rows.filter(institution__in=institutions.values("pk"))
        stale = rows.alias(
            new_total=total,
            new_band=Coalesce(band, Value(0)),
            old_band=Coalesce(F("category_id"), Value(0)),
            new_flag=flag,
        ).filter(~Q(total_active_users=F("new_total")) | ~Q(old_band=F("new_band")) | ~Q(flag=F("new_flag")))
        # Existing rows (recomputed before) whose band moves: their right changes.
        rebanded += (
            stale.filter(recomputed_at__isnull=False).exclude(old_band=F("new_band")).values_list("pk", flat=True)
        )
        count = locked_update(
            Entitlement.objects.filter(pk__in=stale.values("pk")),
            previous_total_active_users=F("total_active_users"),
            total_active_users=total,
            category_id=band,
            flag=flag,
            recomputed_at=now,
        )
        if count:
            history_copy(Entitlement.objects.filter(program=program, recomputed_at=now), when=now, reason=reason)
        changed += count
    if rebanded:
        ids = sorted(rebanded)
        transaction.on_commit(lambda: entitlements_rebanded.send(sender=Entitlement, entitlement_ids=ids))
    return changed


def _entitlement_rows_ensure(*, program: Program, institutions: QuerySet[Institution] | None) -> None:
    """One INSERT … SELECT for the institutions that have no row in ``program`` yet."""
    candidates = Institution.objects.exclude(entitlements__program=program)
    if institutions is not None:
        candidates = candidates.filter(pk__in=institutions.values("pk"))
    select_sql, params = (
        candidates.order_by()
        .annotate(
            _program=Value(program.pk),
            _total=Value(0),
            _flag=Value(""),
        )
        .values_list("_program", "pk", "_total", "_flag")
        .query.sql_with_params()
    )
    table = connection.ops.quote_name(Entitlement._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (program_id, institution_id, total_active_users, flag) {select_sql}",
            params,
        )
