"""Logs for operators: one JSON object a line, each carrying the id of the request it belongs to.

``request_id`` is set by ``kamusm_portal.middleware.RequestIdMiddleware`` for the length of a request
and, in a Celery worker, for the length of a task queued by a request (the id travels in the task's
message headers: ``request_id_to_task_headers`` and ``request_id_of_task``, connected in
``kamusm_portal.celery``). ``RequestIdFilter``, on the console handler, copies it onto every record;
``JsonFormatter`` writes the record as a JSON line, ``TextFormatter`` as a line for a person at a
terminal. ``LOG_FORMAT`` (``json`` or ``text``) chooses; ``logging_config`` is the one ``LOGGING``
of the portal, of its Celery processes and of gunicorn (``gunicorn.conf.py``), applied by
``configure`` (``LOGGING_CONFIG``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import logging.config
import re
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit, urlunsplit

from celery import current_task

if TYPE_CHECKING:
    from sentry_sdk.types import Breadcrumb, BreadcrumbHint, Event, Hint

REQUEST_ID_HEADER = "X-Request-ID"
# The header of a task's message that carries the id of the request that queued it.
TASK_HEADER = "portal_request_id"
LOG_FORMATS = ("json", "text")

# An id a client or proxy sent is kept when it is a plain token: letters, digits, ".", "_", "-",
# at most 64 characters (a UUID in any spelling fits); anything else is replaced by our own.
_SANE_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
# The path of the request that runs and the route logged in its place (``request_started``).
request_path_var: contextvars.ContextVar[tuple[str, str] | None] = contextvars.ContextVar("request_path", default=None)

UNMATCHED_ROUTE = "<unmatched>"
"""What stands for the path of a request that matches no URL pattern."""


def request_id_from(incoming: str | None) -> str:
    """The id of a request: the incoming ``X-Request-ID`` when it is a sane token, else a new one."""
    if incoming and _SANE_ID.fullmatch(incoming):
        return incoming
    return uuid.uuid4().hex


def route_of(path_info: str, urlconf: Any = None) -> str:
    """What the logs say of a request's path: the URL pattern it matches (``/verify/<code>/``),
    without the values of its parts, which may be secrets (a password-reset token, a calendar
    feed's token, a certificate's verification code); ``UNMATCHED_ROUTE`` when none matches."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(path_info, urlconf)
    except Resolver404:
        return UNMATCHED_ROUTE
    return "/" + match.route


def without_path(text: str) -> str:
    """``text`` with the running request's path (as is, or as Django's request log escapes it)
    replaced by its route."""
    current = request_path_var.get()
    if current is None or not text:
        return text
    path, route = current
    for spelling in {path, path.encode("unicode_escape").decode("ascii")}:
        text = text.replace(spelling, route)
    return text


# --- Records ----------------------------------------------------------------------------------


class RequestIdFilter(logging.Filter):
    """Puts the current request id (``None`` outside a request or a task queued by one) on every
    record, and the running Celery task's id and name when there is one. Attach it to handlers:
    a handler's filters see the records of every logger that propagates to it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        if isinstance(record.args, tuple):  # Django's "Not Found: <path>" and the like: the route
            record.args = tuple(without_path(arg) if isinstance(arg, str) else arg for arg in record.args)
        task = _current_task()
        if task is not None:
            record.task_id = task.request.id
            record.task_name = task.name
        return True


def _current_task() -> Any:
    task = current_task._get_current_object()
    if task is None or task.request.id is None:
        return None
    return task


# The attributes every LogRecord has: anything else on a record came from ``extra=``.
_RECORD_ATTRIBUTES = frozenset(vars(logging.makeLogRecord({}))) | {"message", "asctime", "request_id"}
# Extras that are not worth a field: Django's log of a request passes the request object itself.
_SKIPPED_EXTRAS = frozenset({"request"})
# Characters json.dumps leaves as they are but that some readers take for a line break.
_LINE_BREAKS = {"\u0085": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ``time`` (UTC, ISO 8601, milliseconds), ``level``, ``logger``,
    ``message``, ``request_id`` (``null`` when none), ``task_id``/``task_name`` inside a Celery task,
    the record's extras, and ``exception`` (the traceback's text) and ``stack`` when there are any.
    A message with line breaks stays on its line (JSON escapes them); Turkish letters are written
    as they are."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        for key, value in vars(record).items():
            if key in _RECORD_ATTRIBUTES or key in _SKIPPED_EXTRAS or key.startswith("_") or key in entry:
                continue
            entry[key] = value
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        if record.stack_info:
            entry["stack"] = self.formatStack(record.stack_info)
        line = json.dumps(entry, ensure_ascii=False, default=str)
        for character, escaped in _LINE_BREAKS.items():
            line = line.replace(character, escaped)
        return line


class TextFormatter(logging.Formatter):
    """``2026-03-04 10:15:30,123 INFO kamusm_portal.requests [<request id or ->] message``."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s [%(request_id_text)s] %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        record.request_id_text = getattr(record, "request_id", None) or "-"
        return super().format(record)


# --- Configuration ----------------------------------------------------------------------------


def log_format_of(value: str, *, debug: bool) -> str:
    """``LOG_FORMAT``: ``json`` or ``text``; unset, ``text`` in development (``DEBUG`` on) and
    ``json`` in production."""
    chosen = (value or ("text" if debug else "json")).strip().lower()
    if chosen not in LOG_FORMATS:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured(f"LOG_FORMAT must be one of {', '.join(LOG_FORMATS)}; it is {value!r}.")
    return chosen


def configure(config: dict[str, Any]) -> None:
    """``LOGGING_CONFIG``: applies ``LOGGING`` and sends Python's warnings through logging too
    (``py.warnings``), so nothing reaches standard error in another shape."""
    logging.config.dictConfig(config)
    logging.captureWarnings(True)


def logging_config(*, log_format: str, level: str) -> dict[str, Any]:
    """The ``LOGGING`` of every process of the portal: one handler on the root logger (standard
    error), in ``log_format``, with the request id filter, at ``level``. Django's and gunicorn's
    loggers keep no handler of their own and propagate to it, so every line has the same shape."""
    formatter = JsonFormatter if log_format == "json" else TextFormatter
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"portal": {"()": f"{formatter.__module__}.{formatter.__qualname__}"}},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                "level": level.upper(),
                "stream": "ext://sys.stderr",
                "formatter": "portal",
                "filters": ["request_id"],
            }
        },
        "root": {"handlers": ["console"], "level": level.upper()},
        "loggers": {
            # Django's defaults print with DEBUG on (twice, beside the root's handler) and mail
            # admins; here everything goes once through the root's handler (errors to the error
            # tracker when SENTRY_DSN is set).
            "django": {"handlers": [], "level": "NOTSET", "propagate": True},
            "gunicorn.error": {"handlers": [], "propagate": True},
            "gunicorn.access": {"handlers": [], "propagate": True},
        },
    }


# --- Celery: the id travels with the task -------------------------------------------------------

_task_tokens: dict[str, contextvars.Token[str | None]] = {}


def request_id_to_task_headers(headers: dict[str, Any] | None = None, **_kwargs: Any) -> None:
    """``before_task_publish``: a task queued while a request (or a task) runs carries its id."""
    request_id = request_id_var.get()
    if request_id is not None and headers is not None:
        headers.setdefault(TASK_HEADER, request_id)


def request_id_of_task(task_id: str | None = None, task: Any = None, **_kwargs: Any) -> None:
    """``task_prerun``: a worker running a task takes the id its message carries. A task run
    in-process (``task_always_eager``) has no message: it keeps the id of the request around it."""
    request = getattr(task, "request", None)
    request_id = getattr(request, TASK_HEADER, None) or (getattr(request, "headers", None) or {}).get(TASK_HEADER)
    if task_id is None or not isinstance(request_id, str) or not _SANE_ID.fullmatch(request_id):
        return
    _task_tokens[task_id] = request_id_var.set(request_id)
    _tag_error_tracker(request_id)


def request_id_after_task(task_id: str | None = None, **_kwargs: Any) -> None:
    """``task_postrun``: the worker forgets the id of the task it ran."""
    token = _task_tokens.pop(task_id, None) if task_id is not None else None
    if token is not None:
        request_id_var.reset(token)


def _tag_error_tracker(request_id: str) -> None:
    """Events sent to the error tracker (``SENTRY_DSN``) carry the request id, to find its logs."""
    import sentry_sdk

    if sentry_sdk.get_client().is_active():
        sentry_sdk.set_tag("request_id", request_id)


def request_started(request_id: str, path: str = "", route: str = UNMATCHED_ROUTE) -> None:
    """The id of the request that starts, and its path with the route logged in its place
    (``without_path``), until it is finished (``request_finished``): Django logs a 4xx or 5xx
    answer after the last middleware has returned, and that line must carry it too."""
    request_id_var.set(request_id)
    request_path_var.set((path, route) if path else None)
    _tag_error_tracker(request_id)


def request_finished(**_kwargs: Any) -> None:
    """``request_finished`` (the server closed the response): what is logged next belongs to no request."""
    request_id_var.set(None)
    request_path_var.set(None)


# --- The error tracker: no path's secrets ---------------------------------------------------------


def error_tracker_event(event: Event, _hint: Hint) -> Event:
    """``before_send``: an event's request URL, message and log entry name the route, not the path
    (``route_of``)."""
    request = event.get("request")
    address = request.get("url") if isinstance(request, dict) else None
    if isinstance(request, dict) and isinstance(address, str):
        url = urlsplit(address)
        request["url"] = urlunsplit((url.scheme, url.netloc, route_of(url.path), "", ""))
    if isinstance(event.get("message"), str):
        event["message"] = without_path(event["message"])
    entry = event.get("logentry")
    if isinstance(entry, dict):
        for key in ("message", "formatted"):
            if isinstance(entry.get(key), str):
                entry[key] = without_path(entry[key])
        if isinstance(entry.get("params"), list):
            entry["params"] = [without_path(p) if isinstance(p, str) else p for p in entry["params"]]
    return event


def error_tracker_breadcrumb(crumb: Breadcrumb, _hint: BreadcrumbHint) -> Breadcrumb:
    """``before_breadcrumb``: a breadcrumb (a log line before the event) names the route, not the path."""
    if isinstance(crumb.get("message"), str):
        crumb["message"] = without_path(crumb["message"])
    return crumb
