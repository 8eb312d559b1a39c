"""Shared set-up of the benchmarks: a fresh database, migrated: SQLite under var/bench/ by default,
or a PostgreSQL database dropped and created again (``django_on_fresh_postgres``)."""

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
    _setup_and_migrate()
    return path


POSTGRES_SERVER_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def django_on_fresh_postgres(name: str, server_url: str | None = None) -> str:
    """Drop PostgreSQL database ``name`` if it exists, create it again, point Django at it
    (``DATABASE_URL``), set it up and migrate it. ``server_url`` (or ``BENCH_POSTGRES_URL``) is
    any database of the server to connect to for that. Returns the new database's URL."""
    from urllib.parse import urlsplit, urlunsplit

    import psycopg
    from psycopg import sql

    server_url = server_url or os.environ.get("BENCH_POSTGRES_URL", POSTGRES_SERVER_URL)
    sys.path.insert(0, str(ROOT))
    with psycopg.connect(server_url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    os.environ["DATABASE_URL"] = url
    _setup_and_migrate()
    return url


def _setup_and_migrate() -> None:
    os.environ.setdefault("DEBUG", "true")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kamusm_portal.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


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
