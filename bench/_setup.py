"""Shared set-up of the benchmarks: a fresh SQLite database under var/bench/, migrated."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def django_on_fresh_database(name: str) -> Path:
    """Point Django at a new SQLite file ``var/bench/<name>.sqlite3`` (unless DATABASE_URL is set),
    set it up and migrate it. Returns the file's path."""
    sys.path.insert(0, str(ROOT))
    path = ROOT / "var" / "bench" / f"{name}.sqlite3"
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{path}")
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamusm_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return path


@contextmanager
def timed(label: str, results: dict):
    """Time a block and count its queries; store (seconds, queries) under ``label``."""
    from django.db import connection

    count = 0

    def counter(execute, sql, params, many, context):
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
    results[label] = (elapsed, count)
    print(f"  {label:<55} {elapsed:8.3f} s  {count:>7} queries", flush=True)
