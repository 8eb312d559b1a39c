"""Sending a batch of e-mails one by one, so that one that fails does not hold the others back.

Django's ``send_mass_mail`` (and a backend's ``send_messages``) stops at the first message that
raises: a task retried after that sends the first ones again and the last ones never. Here each
message goes alone over one connection; the answer says which went, which failed for a while
(the mail server cannot be reached, drops the connection, answers 4xx: worth trying again) and
which the mail server refused for good (a 5xx answer to the recipient or to the message: trying
again would be refused the same way). The caller's task retries only those that failed
(``kamusm_portal.tasks.Task.unsent_retry``).
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.core.mail import EmailMessage, get_connection

logger = logging.getLogger(__name__)

K = TypeVar("K", bound=Hashable)


@dataclass
class Sent(Generic[K]):
    """What became of a batch, by the caller's key of each message."""

    sent: int = 0
    failed: dict[K, Exception] = field(default_factory=dict)
    """To try again: the mail server could not take them now."""
    refused: dict[K, Exception] = field(default_factory=dict)
    """Refused for good (5xx): logged, not tried again."""


def refused_for_good(exc: BaseException) -> bool:
    """Whether the mail server's answer is permanent (RFC 5321: a 5xx reply): every refused
    recipient answered 5xx, or the message itself was refused with a 5xx."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _ in exc.recipients.values()]
        return bool(codes) and all(code >= 500 for code in codes)
    return isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500


def messages_send(messages: Iterable[tuple[K, EmailMessage]]) -> Sent[K]:
    """Send each message alone over one connection, keyed as the caller likes (a certificate's
    id, a recipient's address). Never raises the mail server's errors (``OSError``, smtplib's
    among them): they are in the answer."""
    batch = list(messages)
    outcome: Sent[K] = Sent()
    if not batch:
        return outcome
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:  # the mail server cannot be reached: none went
        outcome.failed = {key: exc for key, _ in batch}
        return outcome
    try:
        for key, message in batch:
            try:
                outcome.sent += connection.send_messages([message]) or 0
            except OSError as exc:
                if refused_for_good(exc):
                    outcome.refused[key] = exc
                    logger.error("e-mail to %s refused for good, not tried again: %s", ", ".join(message.to), exc)
                else:
                    outcome.failed[key] = exc
    finally:
        with contextlib.suppress(OSError):
            connection.close()
    return outcome
