"""Certificates end to end: attendance saved → signed PDF stored, by real Celery workers.

1,000 certificates (34 finished on-site sessions, 30 enrolled participants each, the last one 10):
the benchmark saves each session's attendance through ``certificates.services.attendance_record``
(every participant ``full``), which issues the certificates and publishes, after commit, one
``certificates.tasks.render_certificates`` per batch of CERTIFICATE_RENDER_BATCH (10) of them. Two
Celery worker processes (``celery -A kamusm_portal worker -Q pdf,email,default --pool prefork
--concurrency 1``, started twice, prefetch multiplier 1, no gossip/mingle/heartbeat, DEBUG off as in
production) render each batch as one document cut into one PDF per certificate, sign each (an EC
P-256 key the benchmark makes), store them (a temporary MEDIA_ROOT) and send the participants'
e-mails (one task per batch; the dummy e-mail backend). Broker: a Redis database of its own
(``BENCH_REDIS_URL``, default ``redis://127.0.0.1:6379/14``), emptied first.

Measured: from the first attendance save to the last certificate ``ready`` (the benchmark polls the
database), certificates per second; the workers' memory (VmRSS/VmHWM of each worker process and its
pool child, sampled every 0.5 s: RSS once a quarter of the run is over, so after the warm-up
renders, against RSS at the end, and the peak VmHWM); per-certificate render and sign time in one
process (a small in-process loop after the run, one certificate at a time and in batches). Baseline
in the same run: one process looping ``weasyprint.HTML(string=...).write_pdf()`` over the same
certificates' HTML, with no reuse (a new font configuration and stylesheet each time) and no
signing; its rate, and the ratio.

Target on a 2-core machine: at least 40 certificates per second end to end (the program's 4,000 in
under 2 minutes), at least 1.3 times the baseline, each worker's memory flat (under 300 MB).

Run: ``.venv/bin/python bench/certificates.py`` (a fresh PostgreSQL database
``kamusm_bench_certificates`` on ``BENCH_POSTGRES_URL``, default
``postgres://postgres@127.0.0.1:5432/postgres``); ``--baseline N`` loops the baseline over the first N
certificates (default 300; ``--baseline 1000`` for all of them); ``--batch N`` sets
CERTIFICATE_RENDER_BATCH (1: a task per certificate, as before batching). Exit code 0 when the
target is met. The workers' task runtimes come from their INFO log lines
(``Task ... succeeded in ...s``).
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._setup import ROOT, django_on_fresh_postgres

TARGET_RATE = 40.0  # certificates per second, end to end
TARGET_RATIO = 1.3  # times the naive single-process baseline
TARGET_MEMORY_MB = 300  # per worker process
FLAT_GROWTH_MB = 30  # "flat": RSS at the end no more than this above RSS after the first certificates
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def signing_pair(folder: Path) -> tuple[Path, Path]:
    """An EC P-256 key and its self-signed certificate, PEM, in ``folder``."""
    from certificates.signing import self_signed_pair

    key_pem, cert_pem = self_signed_pair("Kamu SM benchmark")
    key, cert = folder / "signing.key", folder / "signing.pem"
    key.write_bytes(key_pem)
    cert.write_bytes(cert_pem)
    return key, cert


def build(*, certificates: int, per_session: int) -> list[tuple]:
    """Finished on-site sessions (a band-1 institution, request and trainer each) with enrolled
    participants, a day apart. Returns ``[(session, participants)]``."""
    from tests.certificates.factories import onsite_finished

    plan = []
    left, day = certificates, 2
    while left > 0:
        people = min(per_session, left)
        plan.append(onsite_finished(people, days_ago=day))
        left -= people
        day += 1
    return plan


# --- Workers and their memory ------------------------------------------------------------------


def start_workers(count: int, env: dict, logs: Path) -> list[subprocess.Popen]:
    processes = []
    for n in range(count):
        log = logs / f"worker-{n + 1}.log"
        processes.append(
            subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
                [
                    str(ROOT / ".venv" / "bin" / "celery"),
                    "-A",
                    "kamusm_portal",
                    "worker",
                    "-Q",
                    "pdf,email,default",
                    "--pool=prefork",
                    "--concurrency=1",
                    "--prefetch-multiplier=1",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "--loglevel=INFO",  # a line per task with its runtime (``task_runtimes``)
                    "-n",
                    f"bench-{n + 1}-{uuid.uuid4().hex[:6]}@%h",
                ],
                cwd=ROOT,
                env=env,
                stdout=log.open("wb"),
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        )
    return processes


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def memory_kb(pid: int) -> tuple[int, int]:
    """(VmRSS, VmHWM) of a process in kB; zeros once it is gone."""
    rss = hwm = 0
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1])
    except OSError:
        pass
    return rss, hwm


class MemorySampler(threading.Thread):
    """Samples VmRSS/VmHWM of the workers' processes (main and pool children) every ``every`` s."""

    def __init__(self, roots: list[int], every: float = 0.5):
        super().__init__(daemon=True)
        self.roots, self.every = roots, every
        self.samples: dict[int, list[tuple[float, int, int]]] = {}
        self.stopping = threading.Event()

    def sample(self) -> None:
        now = time.perf_counter()
        for root in self.roots:
            for pid in [root, *children(root)]:
                rss, hwm = memory_kb(pid)
                if rss:
                    self.samples.setdefault(pid, []).append((now, rss, hwm))

    def run(self) -> None:
        while not self.stopping.is_set():
            self.sample()
            self.stopping.wait(self.every)

    def stop(self) -> None:
        self.stopping.set()
        self.join()
        self.sample()


def task_runtimes(logs: Path) -> dict[str, list[float]]:
    """Seconds per task from the workers' INFO lines ``Task <name>[<id>] succeeded in <s>s: ...``."""
    import re

    pattern = re.compile(r"Task ([\w.]+)\[[^\]]+\] succeeded in ([0-9.]+)s")
    found: dict[str, list[float]] = {}
    for log in logs.glob("worker-*.log"):
        for name, seconds in pattern.findall(log.read_text(errors="replace")):
            found.setdefault(name, []).append(float(seconds))
    return found


def wait_until_ready(workers: list[subprocess.Popen], logs: Path, timeout: float = 90) -> None:
    """Until each worker's pool child is up and the worker consumes (the ``ready.`` log line is
    at WARNING level's mercy: wait for a ping answer instead)."""
    from kamusm_portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for worker in workers:
            if worker.poll() is not None:
                raise SystemExit("a worker stopped:\n" + "\n".join(p.read_text()[-2000:] for p in logs.glob("*.log")))
        replies = app.control.ping(timeout=1.0) or []
        if len(replies) >= len(workers) and all(children(w.pid) for w in workers):
            return
    raise SystemExit("the workers did not start in time")


def stop_workers(workers: list[subprocess.Popen]) -> None:
    import signal

    for worker in workers:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
    for worker in workers:
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)


# --- Baseline and in-process timings -----------------------------------------------------------


def baseline(htmls: list[str]) -> float:
    """Certificates per second of a naive loop: ``HTML(string=...).write_pdf()``, a new font
    configuration and stylesheet each time (the certificate's fonts), no signing."""
    from weasyprint import CSS, HTML
    from weasyprint.text.fonts import FontConfiguration

    from certificates.rendering import HERE, STYLESHEET, _assets

    _assets()  # only for its quieter progress log
    began = time.perf_counter()
    for html in htmls:
        fonts = FontConfiguration()
        HTML(string=html, base_url=str(HERE)).write_pdf(
            stylesheets=[CSS(filename=str(STYLESHEET), font_config=fonts)], font_config=fonts
        )
    return len(htmls) / (time.perf_counter() - began)


def in_process_times(certificates: list) -> tuple[float, float, float]:
    """Median ms per certificate in this process, warmed up: HTML (template and QR), PDF (WeasyPrint
    with the kept assets, HTML included), signature."""
    from certificates import signing
    from certificates.rendering import certificate_html, certificate_pdf

    signing.pdf_sign(certificate_pdf(certificates[0]))  # warm-up: assets, signer
    html_ms, pdf_ms, sign_ms = [], [], []
    for certificate in certificates:
        t0 = time.perf_counter()
        certificate_html(certificate)
        t1 = time.perf_counter()
        pdf = certificate_pdf(certificate)
        t2 = time.perf_counter()
        signing.pdf_sign(pdf)
        t3 = time.perf_counter()
        html_ms.append((t1 - t0) * 1000)
        pdf_ms.append((t2 - t1) * 1000)
        sign_ms.append((t3 - t2) * 1000)
    return statistics.median(html_ms), statistics.median(pdf_ms), statistics.median(sign_ms)


def in_process_batch_ms(certificates: list, batch: int) -> float:
    """Median ms per certificate of ``certificates_pdf`` over batches of ``batch`` (one document cut
    into one PDF per certificate), warmed up, no signing."""
    from certificates.rendering import certificates_pdf

    certificates_pdf(certificates[:batch])
    per = []
    for start in range(0, len(certificates) - batch + 1, batch):
        t0 = time.perf_counter()
        certificates_pdf(certificates[start : start + batch])
        per.append((time.perf_counter() - t0) * 1000 / batch)
    return statistics.median(per)


# --- The run -----------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--certificates", type=int, default=1000)
    parser.add_argument("--per-session", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--baseline", type=int, default=300, help="certificates in the baseline loop (the first N)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds to wait for the last certificate")
    parser.add_argument("--batch", type=int, default=10, help="certificates per render task (CERTIFICATE_RENDER_BATCH)")
    args = parser.parse_args()

    import redis

    scratch = Path(tempfile.mkdtemp(prefix="bench-certificates-"))
    media = scratch / "media"
    media.mkdir()
    os.environ.update(
        {
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
            "LOG_LEVEL": "WARNING",
            "MEDIA_ROOT": str(media),
            "CELERY_BROKER_URL": REDIS_URL,
            "CONN_MAX_AGE": "60",
            "CERTIFICATE_RENDER_BATCH": str(args.batch),
        }
    )
    # The key is made before Django starts, whose settings read the paths: ``self_signed_pair``
    # needs ``cryptography`` only, no setting.
    key, cert = signing_pair(scratch)
    os.environ["CERTIFICATE_SIGNING_KEY"], os.environ["CERTIFICATE_SIGNING_CERT"] = str(key), str(cert)
    database_url = django_on_fresh_postgres("kamusm_bench_certificates")
    from django.conf import settings

    settings.DEBUG = False  # DEBUG only supplied the development secret key: no query log here

    from django.db import connection

    from certificates.models import Certificate, CertificateStatus
    from certificates.services import attendance_record

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    began_build = time.perf_counter()
    plan = build(certificates=args.certificates, per_session=args.per_session)
    print(
        f"certificates: {args.certificates:,} over {len(plan)} finished on-site sessions "
        f"(built in {time.perf_counter() - began_build:.1f} s), {args.workers} Celery workers "
        f"(prefork, concurrency 1, prefetch 1), {connection.vendor}, broker {REDIS_URL}",
        flush=True,
    )
    client.flushdb()  # the e-mails the set-up queued: not this benchmark's work

    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "PYTHONPATH": str(ROOT),
        "DEBUG": "false",  # as a production worker runs (no query log)
        "SECRET_KEY": uuid.uuid4().hex * 2,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    workers = start_workers(args.workers, env, scratch)
    try:
        wait_until_ready(workers, scratch)
        sampler = MemorySampler([w.pid for w in workers])
        sampler.start()
        connection.close()

        began = time.perf_counter()
        for session, participants in plan:
            attendance_record(session=session, marks=[(p, "full") for p in participants])
        saved = time.perf_counter() - began
        ready = 0
        deadline = began + args.timeout
        while time.perf_counter() < deadline:
            ready = Certificate.objects.filter(status=CertificateStatus.READY).count()
            if ready >= args.certificates:
                break
            time.sleep(0.05)
        wall = time.perf_counter() - began
        sampler.stop()
    finally:
        stop_workers(workers)
    client.flushdb()
    client.close()

    counts = _status_counts()
    rate = ready / wall
    print(f"  attendance saved for {len(plan)} sessions in {saved:.2f} s (certificates issued, tasks queued)")
    print(f"  end to end: {ready:,} ready in {wall:.2f} s  {rate:.1f} certificates/s   statuses {counts}")

    memory_ok = True
    for pid, samples in sorted(sampler.samples.items()):
        quarter = samples[0][0] + (samples[-1][0] - samples[0][0]) / 4  # after the warm-up renders
        first = next(s for s in samples if s[0] >= quarter)[1] / 1024
        last = samples[-1][1] / 1024
        peak = max(s[2] for s in samples) / 1024
        role = "worker" if pid in {w.pid for w in workers} else "pool child"
        flat = peak < TARGET_MEMORY_MB and (last - first) < FLAT_GROWTH_MB
        memory_ok &= flat
        print(
            f"  memory {role:<10} pid {pid:>7}: RSS {first:6.1f} MB early → {last:6.1f} MB at the end, "
            f"peak (VmHWM) {peak:6.1f} MB, {len(samples)} samples  {'flat' if flat else 'NOT FLAT'}"
        )

    runtimes = task_runtimes(scratch)
    busy = sum(sum(v) for v in runtimes.values())
    for name, seconds in sorted(runtimes.items()):
        print(
            f"  worker task {name.rsplit('.', 1)[-1]:<22} {len(seconds):>5} runs, median "
            f"{statistics.median(seconds) * 1000:6.1f} ms, max {max(seconds) * 1000:6.1f} ms, "
            f"total {sum(seconds):6.1f} s"
        )
    print(
        f"  workers busy in tasks {busy:.1f} s of {args.workers} x {wall:.1f} s = "
        f"{100 * busy / (args.workers * wall):.0f} %"
    )

    certificates = list(Certificate.objects.order_by("pk"))
    from certificates.rendering import certificate_html

    htmls = [certificate_html(c) for c in certificates[: args.baseline]]
    base_rate = baseline(htmls)
    print(
        f"  baseline: naive HTML(string=...).write_pdf() in one process, {len(htmls)} certificates: {base_rate:.1f}/s"
    )
    html_ms, pdf_ms, sign_ms = in_process_times(certificates[:50])
    print(
        f"  per certificate in one process (median of 50): HTML {html_ms:.1f} ms, "
        f"PDF {pdf_ms:.1f} ms (HTML included), signature {sign_ms:.1f} ms"
    )
    if args.batch > 1:
        batch_ms = in_process_batch_ms(certificates[:50], args.batch)
        print(f"  PDF per certificate in batches of {args.batch} (median of the batches): {batch_ms:.1f} ms")
    ratio = rate / base_rate
    print(f"  ratio end to end / baseline: {ratio:.2f}x")
    met = ready >= args.certificates and rate >= TARGET_RATE and ratio >= TARGET_RATIO and memory_ok
    print(
        f"  target (>= {TARGET_RATE:.0f} certificates/s, >= {TARGET_RATIO}x baseline, each worker flat "
        f"under {TARGET_MEMORY_MB} MB): {'MET' if met else 'NOT MET'} ({rate:.1f}/s, {ratio:.2f}x)"
    )
    return 0 if met else 1


def _status_counts() -> dict:
    from django.db.models import Count

    from certificates.models import Certificate

    return {row["status"]: row["n"] for row in Certificate.objects.values("status").annotate(n=Count("pk"))}


if __name__ == "__main__":
    sys.exit(main())
