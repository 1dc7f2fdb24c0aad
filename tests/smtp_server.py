"""A real SMTP server on loopback (aiosmtpd) that keeps every message it receives.

Tests point the app's MAIL_SERVER/MAIL_PORT at it, so outgoing mail goes through
smtplib and a real SMTP dialogue, and the test reads what a mail server received.
"""
from __future__ import annotations

import email
import re
import threading
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        return email.message_from_bytes(self.raw, policy=default)

    @property
    def body(self) -> str:
        return self.message.get_content()

    def links(self) -> list[str]:
        return re.findall(r"https?://\S+", self.body)

    def link(self, part: str) -> str:
        """The first link in the body whose URL contains `part`."""
        return next(url for url in self.links() if part in url)


class _Handler:
    def __init__(self, inbox: list[Received], lock: threading.Lock):
        self.inbox, self.lock = inbox, lock

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.inbox.append(Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


class _FreePortController(Controller):
    """aiosmtpd's Controller, bound to port 0: learns the port the OS gave it."""

    def _trigger_server(self):
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


class SmtpCapture:
    def __init__(self) -> None:
        self.messages: list[Received] = []
        self._lock = threading.Lock()
        self._controller = _FreePortController(_Handler(self.messages, self._lock), hostname="127.0.0.1", port=0)

    host = "127.0.0.1"

    @property
    def port(self) -> int:
        return self._controller.port

    def start(self) -> SmtpCapture:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def clear(self) -> None:
        with self._lock:
            self.messages.clear()

    def to(self, address: str) -> list[Received]:
        return [m for m in self.messages if address in m.rcpt_tos]
