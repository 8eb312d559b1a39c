"""A real, small SMTP server for the tests: a thread on 127.0.0.1 speaking enough of RFC 5321 for
Django's SMTP backend (``smtplib``), keeping what it accepts. ``closed_port()`` gives a port where
nothing listens (a connection is refused) and where the server can be started later, as a mail
server that comes back."""

from __future__ import annotations

import socket
import socketserver
import threading
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage


def closed_port() -> int:
    """A port of 127.0.0.1 where nothing listens now: one the system just gave and took back."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Received:
    sender: str
    recipients: list[str]
    data: bytes

    @property
    def message(self) -> EmailMessage:
        return message_from_bytes(self.data, policy=policy.default)  # type: ignore[return-value]


@dataclass
class SMTPServer:
    """``SMTPServer(port).start()``; ``refuse`` holds recipients answered 550 (as a mail server
    refuses an unknown mailbox), the others are accepted into ``received``."""

    port: int
    refuse: set[str] = field(default_factory=set)
    hang_up_after: int | None = None
    """Once this many messages are accepted, the server drops each connection after the message
    (a mail server that goes away mid-batch)."""
    received: list[Received] = field(default_factory=list)

    def start(self) -> SMTPServer:
        outer = self

        class Handler(socketserver.StreamRequestHandler):
            timeout = 10

            def reply(self, line: str) -> None:
                self.wfile.write(line.encode() + b"\r\n")

            def handle(self) -> None:
                self.reply("220 localhost test SMTP")
                sender, recipients = "", []
                while line := self.rfile.readline():
                    command = line.decode("ascii", "replace").strip()
                    verb = command[:4].upper()
                    if verb in ("EHLO", "HELO"):
                        self.reply("250 localhost")
                    elif verb == "MAIL":
                        sender, recipients = command.split(":", 1)[1].strip().strip("<>"), []
                        self.reply("250 OK")
                    elif verb == "RCPT":
                        address = command.split(":", 1)[1].strip().strip("<>")
                        if address in outer.refuse:
                            self.reply("550 no such mailbox")
                        else:
                            recipients.append(address)
                            self.reply("250 OK")
                    elif verb == "DATA":
                        self.reply("354 go ahead")
                        lines = []
                        while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                            lines.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                        outer.received.append(Received(sender, recipients, b"".join(lines)))
                        self.reply("250 queued")
                        if outer.hang_up_after is not None and len(outer.received) >= outer.hang_up_after:
                            return
                    elif verb == "RSET":
                        sender, recipients = "", []
                        self.reply("250 OK")
                    elif verb == "NOOP":
                        self.reply("250 OK")
                    elif verb == "QUIT":
                        self.reply("221 bye")
                        return
                    else:
                        self.reply("502 not implemented")

        class Server(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True

        self._server = Server(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if getattr(self, "_server", None) is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def recipients(self) -> list[str]:
        """Every recipient of every message accepted, one entry per delivery."""
        return [address for received in self.received for address in received.recipients]
