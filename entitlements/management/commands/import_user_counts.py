"""``manage.py import_user_counts FILE [--dry-run] [--user USERNAME]``: the admin's import of user
counts, from a shell. ``--user`` names the staff member the history records as having imported
(without it, the history records nobody).

The same reading and the same checks as the admin (``entitlements.imports``); every bad row is
printed to stderr as ``row N, column X: reason`` and the command fails without writing anything.
The service is set-based (bulk writes, one recomputation per chunk of institutions), so large files
take the same path as small ones.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from entitlements.imports import user_counts_file_read, user_counts_import
from kamusm_portal.errors import RuleViolation


class Command(BaseCommand):
    help = "Import units and their active users from a CSV or XLSX file and recompute the entitlements."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="check the file and report, write nothing")
        parser.add_argument(
            "--show-changes", action="store_true", help="print every unit whose count changes (old → new)"
        )
        parser.add_argument("--user", help="username of the staff member the history records as the importer")

    def handle(self, *args, file: Path, dry_run: bool, show_changes: bool, user: str | None = None, **options) -> None:
        by = None
        if user:
            by = get_user_model().objects.filter(username=user, is_active=True, is_staff=True).first()
            if by is None:
                raise CommandError(_("%(user)s: no active staff user of that name.") % {"user": user})
        started = time.monotonic()
        try:
            with file.open("rb") as handle:
                dataset = user_counts_file_read(file=handle, name=file.name)
        except FileNotFoundError as exc:
            raise CommandError(_("%(file)s: no such file.") % {"file": file}) from exc
        except RuleViolation as exc:
            raise CommandError(f"{file}: {exc.message}") from exc
        read = time.monotonic()
        report = user_counts_import(dataset=dataset, dry_run=dry_run, by=by)
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                ngettext(
                    "%(n)s error in %(file)s; nothing was imported.",
                    "%(n)s errors in %(file)s; nothing was imported.",
                    len(report.errors),
                )
                % {"n": len(report.errors), "file": file}
            )
        if show_changes:
            for change in report.changes:
                if change.action != "unchanged":
                    old = "—" if change.old_active_users is None else change.old_active_users
                    self.stdout.write(
                        f"row {change.row}: {change.institution_code} {change.unit_name} "
                        f"({change.level}): {old} → {change.new_active_users}"
                    )
        self.stdout.write(report.summary())
        if dry_run:
            self.stdout.write(_("Dry run: nothing was written."))
        else:
            self.stdout.write(
                ngettext("%(n)s entitlement changed.", "%(n)s entitlements changed.", report.entitlements_changed)
                % {"n": report.entitlements_changed}
            )
        self.stdout.write(
            _("Read in %(read).1f s, checked and written in %(write).1f s.")
            % {"read": read - started, "write": time.monotonic() - read}
        )
