"""The frame every write service runs in (docs/architecture.md, "Services").

``@service`` on a write service gives it:

- **one transaction**: the outermost service call opens it (a savepoint when the caller is already
  in a transaction); a service called by another service joins its caller's transaction without a
  savepoint of its own, so a refusal anywhere rolls the whole call back. ``durable=True`` marks an
  entry point that nothing else calls: Django then refuses to run it inside another transaction;
- **the lock order**: the row locks it takes through ``kamusm_portal.locking`` are checked against
  the one documented order for as long as the outermost service call lasts;
- **its actor**: the ``by`` it is given (a user) is the user of every history row written while it
  runs, also when it is called from a task or a command (``history_user``). A service called by
  another one without ``by`` keeps its caller's actor. No ``by`` (a scheduled job, a worker's
  render) records nobody.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ParamSpec, Protocol, TypeVar, cast, overload

from django.db import transaction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User
    from django.http import HttpRequest

P = ParamSpec("P")
R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)


class Service(Protocol[P, R_co]):
    """A write service as ``@service`` gives it: the function, called in its frame, and marked."""

    is_service: bool
    durable: bool
    """Whether it refuses to run inside another transaction (an entry point nothing else calls)."""

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R_co: ...


@dataclass
class ServiceCall:
    """What the outermost service call running now knows: its actor and the locks taken so far."""

    actor: User | None = None
    locks: list[str] = field(default_factory=list)
    """Model labels in the order their rows were locked (``kamusm_portal.locking``)."""


_current: ContextVar[ServiceCall | None] = ContextVar("service_call", default=None)


def current_call() -> ServiceCall | None:
    """The service call running now, or ``None`` outside every service."""
    return _current.get()


def _actor(by: Any) -> User | None:
    """A user with a primary key, or ``None`` (an anonymous or unsaved user records nobody)."""
    return by if by is not None and getattr(by, "pk", None) is not None else None


@overload
def service(func: Callable[P, R], /) -> Service[P, R]: ...
@overload
def service(*, durable: bool = False) -> Callable[[Callable[P, R]], Service[P, R]]: ...
def service(
    func: Callable[P, R] | None = None, /, *, durable: bool = False
) -> Service[P, R] | Callable[[Callable[P, R]], Service[P, R]]:
    """Run a write service in its transaction, with its lock order checked and its actor recorded."""

    def decorate(fn: Callable[P, R]) -> Service[P, R]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            outer = _current.get()
            actor = _actor(kwargs.get("by"))
            # After its commit, a call's on-commit hooks run (a task, in process without a broker)
            # while it is still on the stack, outside its transaction: they are calls of their own.
            if outer is not None and not transaction.get_connection().in_atomic_block:
                outer = None
            if outer is None:
                token = _current.set(ServiceCall(actor=actor))
                try:
                    with transaction.atomic(durable=durable):
                        return fn(*args, **kwargs)
                finally:
                    _current.reset(token)
            caller_actor = outer.actor
            if actor is not None:
                outer.actor = actor
            try:
                with transaction.atomic(savepoint=False, durable=durable):
                    return fn(*args, **kwargs)
            finally:
                outer.actor = caller_actor

        marked = cast("Service[P, R]", run)  # the wrapper, with the attributes set below
        marked.is_service = True
        marked.durable = durable
        return marked

    return decorate(func) if func is not None else decorate


def acting_user() -> User | None:
    """The actor of the service call running now (``None`` outside a service or without one)."""
    call = _current.get()
    return call.actor if call is not None else None


def history_user(request: HttpRequest | None = None, **kwargs: Any) -> User | AnonymousUser | None:
    """The user of a history row (every model's ``HistoricalRecords(get_user=history_user)``): the
    running service's actor, else the logged-in user of the web request, else nobody."""
    actor = acting_user()
    if actor is not None:
        return actor
    return getattr(request, "user", None)
