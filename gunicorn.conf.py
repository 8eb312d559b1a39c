"""gunicorn's settings for the portal: gunicorn reads ``./gunicorn.conf.py`` from the folder it starts
in (``/app`` in the image). The command line (Dockerfile, docker-compose.yml) says where to bind and
how many workers run; this file says how they log and how they share Prometheus's metrics.

- Logs: gunicorn's own lines (start, workers, timeouts) in the portal's ``LOG_FORMAT`` (JSON lines
  in production), through the same handler as the portal's (``kamusm_portal.logs.logging_config``).
  Each request is logged once by the portal (``kamusm_portal.requests``, with its ``request_id``),
  so gunicorn's access log stays off.
- Metrics: several workers answer ``/metrics`` in turn, so each writes its counters to files in one
  folder and a scrape reads them all (prometheus_client's multiprocess mode). The folder is made
  fresh for each start of gunicorn, before any worker imports prometheus_client, and removed when
  gunicorn stops; ``PROMETHEUS_MULTIPROC_DIR`` names another (it must then be emptied before each start).
"""

import os
import shutil
import tempfile

import environ

from kamusm_portal.logs import log_format_of, logging_config

_made_folder = None
if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    _made_folder = tempfile.mkdtemp(prefix="kamusm-prometheus-")
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _made_folder

_env = environ.Env()
logconfig_dict = logging_config(
    log_format=log_format_of(_env.str("LOG_FORMAT", default=""), debug=_env.bool("DEBUG", default=False)),
    level=_env.str("LOG_LEVEL", default="INFO"),
)


def child_exit(server, worker):
    """A worker that stopped: its live gauges go (its counters stay counted)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    if _made_folder:
        shutil.rmtree(_made_folder, ignore_errors=True)
