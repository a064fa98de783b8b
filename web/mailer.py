"""Sending mail through SMTP (standard library ``smtplib``), and the SMTP settings checked at start-up.

Mail is off unless ``SMTP_HOST`` is set. ``SMTP_SECURITY`` chooses how the connection is
protected: ``starttls`` (the default; port 587), ``ssl`` (implicit TLS; port 465) or ``none``
(port 25; a user name and password are then refused, as they would cross the network in the
clear). Certificates are checked against the system's trust store.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import parseaddr
from types import TracebackType
from typing import Any

SECURITY_CHOICES = ("none", "starttls", "ssl")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "ssl": 465}
# Every socket operation of an SMTP exchange gives up after this; the mail lease
# (workflows.reminder_mail.LEASE, 10 minutes) outlasts a whole exchange of such steps.
SMTP_TIMEOUT_SECONDS = 30


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send mail (from ``SMTP_*`` and ``MAIL_SENDER``)."""

    host: str
    port: int
    security: str
    username: str | None
    password: str | None
    sender: str

    @property
    def sender_domain(self) -> str:
        """The domain of the sender's address (for Message-IDs)."""
        return parseaddr(self.sender)[1].rpartition("@")[2] or "rectiflow.invalid"


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP settings of ``config``, or None when mail is off (no ``SMTP_HOST``).

    Raises ``ValueError`` naming the setting on a value that cannot work.
    """
    host = _text(config, "SMTP_HOST")
    security = (_text(config, "SMTP_SECURITY") or "starttls").lower()
    if security not in SECURITY_CHOICES:
        raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY_CHOICES)}, got {security!r}")
    port = _port(config.get("SMTP_PORT"), security)
    username, password = _text(config, "SMTP_USERNAME"), _text(config, "SMTP_PASSWORD")
    if host is None:
        return None
    if (username is None) != (password is None):
        raise ValueError("SMTP_USERNAME and SMTP_PASSWORD go together: set both or neither")
    if username is not None and security == "none":
        raise ValueError("SMTP_USERNAME with SMTP_SECURITY=none would send the password in the clear; "
                         "use starttls or ssl")
    sender = _text(config, "MAIL_SENDER")
    address = parseaddr(sender or "")[1]
    if sender is None or "@" not in address or address.startswith("@") or address.endswith("@"):
        raise ValueError(f"MAIL_SENDER must be an e-mail address when SMTP_HOST is set, got {sender!r}")
    return SmtpSettings(host, port, security, username, password, sender)


class SmtpMailer:
    """One SMTP connection, opened on the first message and reused until closed or an error.

    Use as a context manager; ``send`` raises what ``smtplib`` raises (a refused recipient,
    a refused connection, a timeout …) and drops the connection, so the next message starts afresh.
    """

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` to the server; returns once the server has accepted it."""
        try:
            client = self._client or self._connect()
            self._client = client
            client.send_message(message)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        """End the connection, if any, quietly."""
        client, self._client = self._client, None
        if client is None:
            return
        try:
            client.quit()
        except (smtplib.SMTPException, OSError):
            client.close()

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        client: smtplib.SMTP
        if s.security == "ssl":
            client = smtplib.SMTP_SSL(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(s.host, s.port, timeout=SMTP_TIMEOUT_SECONDS)
        try:
            if s.security == "starttls":
                client.starttls(context=ssl.create_default_context())
            if s.username is not None and s.password is not None:
                client.login(s.username, s.password)
        except BaseException:
            client.close()
            raise
        return client


def _text(config: Mapping[str, Any], key: str) -> str | None:
    value = config.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text, got {value!r}")
    return value.strip() or None


def _port(value: Any, security: str) -> int:
    if value is None or value == "":
        return DEFAULT_PORTS[security]
    if isinstance(value, str) and value.strip().isdecimal():
        value = int(value.strip())
    if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= 65535:
        raise ValueError(f"SMTP_PORT must be a port number (e.g. 25, 465 or 587), got {value!r}")
    return value
