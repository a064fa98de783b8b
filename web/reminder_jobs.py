"""The scheduler's reminder job: create the reminders that are due, then mail the pending ones.

The scheduler calls ``run_reminder_jobs(found, now)`` after firing timers; ``rectiflow reminders
--send`` runs it once. Its settings (``WARNING_WINDOW_DAYS``, ``REMINDER_REPEAT_DAYS``,
``VERIFICATION_WAIT_DAYS``, ``SMTP_*``, ``MAIL_*``) are those of the app whose services it is
handed: the reminders blueprint remembers each app's configuration by its services when the app
is built (``remember_app_settings``), so a scheduler thread needs no app context. Units of work:

* creating the reminders is one (``workflows.reminders``: idempotent, safe beside other replicas);
* mailing takes each reminder in three: claim (committed before the message leaves), send
  (no transaction), record the outcome. So a slow or failing address holds back nobody else, a
  failure never rolls back another reminder, and no mail leaves for a claim that did not commit.
  The exactly-once argument is in ``workflows.reminder_mail``.

Nothing here raises: a failure is logged and the next run tries again.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask, current_app, has_app_context
from sqlalchemy.orm import Session, sessionmaker

from workflows.models import MailStatus
from workflows.reminder_mail import MailJob, MailPolicy, claim_mail, compose, due_mail, mail_failed, mail_sent
from workflows.reminders import ReminderSettings, generate_reminders

from .mailer import SmtpMailer, SmtpSettings, smtp_settings
from .services import Services, services

log = logging.getLogger(__name__)

# At most this many mails per run; the rest go on the next tick (a run stays short).
MAIL_BATCH = 200
# Each app's configuration, by the session factory of its services (kept by ``Services.with_clock``).
_APP_CONFIG: WeakKeyDictionary[sessionmaker[Session], Mapping[str, Any]] = WeakKeyDictionary()


@dataclass(frozen=True)
class JobSettings:
    """What the job needs from the configuration."""

    reminders: ReminderSettings
    smtp: SmtpSettings | None  # None: mail is off
    policy: MailPolicy


@dataclass(frozen=True)
class ReminderRun:
    """What one run did: reminders created, mails sent, failed tries to retry, mails given up."""

    created: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def job_settings(config: Mapping[str, Any]) -> JobSettings:
    """The job's settings from an app's configuration (already validated by ``web.config``)."""
    smtp = smtp_settings(config)
    return JobSettings(
        reminders=ReminderSettings(
            window_days=config["WARNING_WINDOW_DAYS"], repeat_days=config["REMINDER_REPEAT_DAYS"],
            verification_wait_days=config["VERIFICATION_WAIT_DAYS"], mail=smtp is not None,
        ),
        smtp=smtp,
        policy=MailPolicy(max_attempts=config["MAIL_MAX_ATTEMPTS"], retry_seconds=config["MAIL_RETRY_SECONDS"]),
    )


def remember_app_settings(app: Flask) -> None:
    """Let jobs handed ``app``'s services read ``app``'s configuration (called as the app is built)."""
    _APP_CONFIG[services(app).session_factory] = app.config


def settings_for(found: Services) -> JobSettings:
    """The job settings of the app ``found`` belongs to (else of the current app)."""
    config = _APP_CONFIG.get(found.session_factory)
    if config is None:
        if not has_app_context():
            raise RuntimeError("no app is known for these services: build them with create_app")
        config = current_app.config
    return job_settings(config)


def run_reminder_jobs(found: Services, now: datetime, settings: JobSettings | None = None) -> ReminderRun:
    """Create the reminders due at ``now`` and send the pending mail; returns what it did.

    ``settings`` default to those of the app ``found`` belongs to (``settings_for``).
    """
    settings = settings or settings_for(found)
    created = 0
    try:
        with found.unit_of_work() as session:
            created = generate_reminders(session, now, settings.reminders)
    except Exception:
        log.exception("creating reminders failed; the next run tries again")
    if created:
        log.info("%d reminder(s) created", created)
    if settings.smtp is None:
        return ReminderRun(created=created)
    run = replace(send_pending_mail(found, now, settings.smtp, settings.policy), created=created)
    if run.sent or run.retrying or run.failed:
        log.info("reminder mail: %d sent, %d to retry, %d failed", run.sent, run.retrying, run.failed)
    return run


def send_pending_mail(found: Services, now: datetime, smtp: SmtpSettings, policy: MailPolicy, *,
                      limit: int = MAIL_BATCH,
                      mailer: Callable[[SmtpSettings], SmtpMailer] = SmtpMailer) -> ReminderRun:
    """Mail the pending reminders due at ``now`` (at most ``limit``), each in its own units of work."""
    try:
        with found.unit_of_work() as session:
            due = due_mail(session, now, limit=limit)
    except Exception:
        log.exception("reading the pending mail failed; the next run tries again")
        return ReminderRun()
    counts = {MailStatus.SENT: 0, MailStatus.PENDING: 0, MailStatus.FAILED: 0}
    with mailer(smtp) as client:
        for reminder_id in due:
            try:
                outcome = _mail_one(found, client, reminder_id, now, smtp, policy)
            except Exception:  # the database failed around this reminder: the lease brings it back
                log.exception("mailing reminder %d failed; it is tried again after its lease", reminder_id)
                continue
            if outcome is not None:
                counts[outcome] += 1
    return ReminderRun(sent=counts[MailStatus.SENT], retrying=counts[MailStatus.PENDING],
                       failed=counts[MailStatus.FAILED])


def _mail_one(found: Services, client: SmtpMailer, reminder_id: int, now: datetime, smtp: SmtpSettings,
              policy: MailPolicy) -> MailStatus | None:
    """Claim, send and record one reminder; None when another process has it."""
    with found.unit_of_work() as session:
        job = claim_mail(session, reminder_id, now)
    if job is None:
        return None
    try:
        client.send(compose(job, smtp.sender, message_domain=smtp.sender_domain, at=now))
    except Exception as exc:  # refused address, server down, timeout, no address: this reminder only
        error = describe_failure(exc, job)
        with found.unit_of_work() as session:
            status = mail_failed(session, job, now, error, policy)
        log.warning("mail of reminder %d (attempt %d) failed: %s", reminder_id, job.attempt, error)
        return status
    with found.unit_of_work() as session:
        if not mail_sent(session, job, now):
            log.warning("reminder %d was mailed after its claim was lost", reminder_id)
    return MailStatus.SENT


def describe_failure(error: Exception, job: MailJob) -> str:
    """One line for a failed try: the server's answer for a refused address, else the error."""
    if job.to_address is None:
        return "the recipient has no e-mail address"
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        answers = "; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in error.recipients.items())
        return f"recipient refused ({answers})"
    if isinstance(error, smtplib.SMTPResponseException):
        return f"SMTP {error.smtp_code} {_text(error.smtp_error)}"
    return f"{type(error).__name__}: {error}"


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
