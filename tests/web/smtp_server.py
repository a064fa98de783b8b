"""A real SMTP server for the tests (aiosmtpd in a thread of the test process) that keeps what it receives.

It can refuse chosen addresses (``550`` at ``RCPT TO``), as a mail server refuses an unknown mailbox.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

SENDER = "整改通 <zhenggai@example.gov.cn>"


@dataclass
class Mailbox:
    """What the server received, and the addresses it refuses."""

    port: int = 0
    received: list[EmailMessage] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,  # noqa: N802
                          rcpt_options: list[str]) -> str:
        """Refuse the addresses in ``refuse``; accept the others."""
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        """Keep the message, parsed (headers decoded)."""
        message = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append(message)
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        """The messages received for ``address``."""
        return [m for m in self.received if address in str(m["To"])]

    def settings(self, **more: object) -> dict[str, object]:
        """App settings that send mail to this server."""
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": self.port, "SMTP_SECURITY": "none",
                "MAIL_SENDER": SENDER, **more}


def free_port() -> int:
    """A TCP port nothing listens on (a mail server that is down)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def smtp_server() -> Iterator[Mailbox]:
    """A running SMTP server on 127.0.0.1; yields its mailbox."""
    mailbox = Mailbox(port=free_port())
    controller = Controller(mailbox, hostname="127.0.0.1", port=mailbox.port)
    controller.start()
    try:
        yield mailbox
    finally:
        controller.stop()


def body_of(message: EmailMessage) -> str:
    """The plain-text body, decoded."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    content = part.get_content()
    assert isinstance(content, str)
    return content
