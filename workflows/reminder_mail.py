"""Mailing reminders: each pending reminder is taken by one process, sent once, and its outcome recorded.

The steps, each its own unit of work (``web.reminder_jobs`` commits between them):

1. ``claim_mail`` — one conditional ``UPDATE … WHERE id = ? AND mail_status = 'pending' AND
   mail_next_at <= now``: it moves ``mail_next_at`` a lease ahead and counts the attempt. The
   database lets exactly one process match the row (PostgreSQL locks it, SQLite writes one at a
   time), so one process wins; every other skips it until the lease runs out.
2. The winner hands the message to the SMTP server, outside any transaction.
3. ``mail_sent`` marks it ``sent``; ``mail_failed`` records the error and backs off
   (``retry_seconds × 2^(attempt-1)``: 60 s, 120 s, 240 s …) or, after the last attempt, marks
   it ``failed``. Both only touch the attempt they claimed (``mail_attempts`` unchanged).

Why a mail goes out once: only a committed claim sends, one process holds each claim, a sent
reminder is never pending again, and the lease (``LEASE``) is longer than an SMTP exchange can
take (every socket operation times out after ``web.mailer.SMTP_TIMEOUT_SECONDS``). A process
killed before it sends loses nothing: the lease runs out and another process sends (that try
counts as an attempt). The one window that cannot be closed: the SMTP server accepted the
message and the process died (or the database failed) before ``sent`` was committed; the
reminder is sent again once the lease runs out. Its ``Message-ID`` is the same each time, so a
mail client may recognise the copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from typing import Any, cast

from sqlalchemy import CursorResult, Update, select, update
from sqlalchemy.orm import Session

from .models import MailStatus, Person, Reminder

LEASE = timedelta(minutes=10)
_ERROR_MAX = 500


@dataclass(frozen=True)
class MailPolicy:
    """How often and how patiently to retry (``MAIL_MAX_ATTEMPTS``, ``MAIL_RETRY_SECONDS``)."""

    max_attempts: int = 5
    retry_seconds: int = 60

    def backoff(self, attempt: int) -> timedelta:
        """How long to wait after the ``attempt``-th failure: the base, doubled after each failure."""
        return timedelta(seconds=self.retry_seconds * 2 ** (attempt - 1))


@dataclass(frozen=True)
class MailJob:
    """One claimed attempt to mail one reminder."""

    reminder_id: int
    attempt: int  # 1 for the first try
    to_name: str
    to_address: str | None  # None: the recipient has no address (any more)
    subject: str
    body: str


def due_mail(session: Session, now: datetime, *, limit: int) -> list[int]:
    """Ids of pending reminders whose (next) try is due at ``now``, oldest due first."""
    query = (select(Reminder.id)
             .where(Reminder.mail_status == MailStatus.PENDING, Reminder.mail_next_at <= now)
             .order_by(Reminder.mail_next_at, Reminder.id).limit(limit))
    return list(session.scalars(query))


def claim_mail(session: Session, reminder_id: int, now: datetime) -> MailJob | None:
    """Take the next try of reminder ``reminder_id``; None when another process has it or it is not due."""
    claimed = _rows_changed(session, update(Reminder).where(
        Reminder.id == reminder_id, Reminder.mail_status == MailStatus.PENDING, Reminder.mail_next_at <= now,
    ).values(mail_next_at=now + LEASE, mail_attempts=Reminder.mail_attempts + 1))
    if claimed != 1:
        return None
    row = session.execute(
        select(Reminder.mail_attempts, Reminder.subject, Reminder.body, Person.name, Person.email, Person.active)
        .join(Person, Person.login == Reminder.recipient, isouter=True)
        .where(Reminder.id == reminder_id)
    ).one()
    attempts, subject, body, name, email, active = row
    address = (email or "").strip() if active else ""
    return MailJob(reminder_id, attempts, name or "", address or None, subject, body)


def mail_sent(session: Session, job: MailJob, now: datetime) -> bool:
    """Record that the SMTP server accepted ``job``'s message; False if the claim was lost meanwhile."""
    return _finish(session, job, mail_status=MailStatus.SENT, mailed_at=now, mail_error=None, mail_next_at=None)


def mail_failed(session: Session, job: MailJob, now: datetime, error: str, policy: MailPolicy) -> MailStatus:
    """Record a failed try: back off, or give up (``failed``) after the last attempt. Returns the status."""
    error = " ".join(error.split())[:_ERROR_MAX] or "unknown error"
    if job.attempt >= policy.max_attempts or job.to_address is None:
        _finish(session, job, mail_status=MailStatus.FAILED, mail_error=error, mail_next_at=None)
        return MailStatus.FAILED
    _finish(session, job, mail_error=error, mail_next_at=now + policy.backoff(job.attempt))
    return MailStatus.PENDING


def compose(job: MailJob, sender: str, *, message_domain: str, at: datetime) -> EmailMessage:
    """The message for ``job`` dated ``at``: UTF-8 subject and body, a Message-ID that is the same on every try."""
    if job.to_address is None:
        raise ValueError("the recipient has no e-mail address")
    message = EmailMessage()
    message["From"] = sender
    message["To"] = formataddr((job.to_name, job.to_address)) if job.to_name else job.to_address
    message["Subject"] = job.subject
    message["Date"] = format_datetime(at)
    message["Message-ID"] = f"<rectiflow-reminder-{job.reminder_id}@{message_domain}>"
    message.set_content(job.body, charset="utf-8")
    return message


def _finish(session: Session, job: MailJob, **values: object) -> bool:
    return _rows_changed(session, update(Reminder).where(
        Reminder.id == job.reminder_id, Reminder.mail_status == MailStatus.PENDING,
        Reminder.mail_attempts == job.attempt,
    ).values(**values)) == 1


def _rows_changed(session: Session, statement: Update) -> int:
    """Run a conditional UPDATE; how many rows it changed (0 when the condition no longer holds)."""
    result = cast(CursorResult[Any], session.execute(statement.execution_options(synchronize_session=False)))
    return result.rowcount
