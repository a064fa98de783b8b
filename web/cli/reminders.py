"""Reminder commands: ``reminders --user LOGIN`` (a person's reminders, unread first) and
``reminders --send`` (the scheduler's reminder job, once)."""

from __future__ import annotations

from datetime import datetime

import click

from web.formatting import local_datetime
from web.reminder_jobs import ReminderRun, send_pending_mail, settings_for
from web.services import Services
from workflows.models import MailStatus, Reminder, ReminderReason
from workflows.people import person_by_login
from workflows.reminder_list import mark_read as mark_reminders_read
from workflows.reminder_list import reminder_counts, reminders_for
from workflows.reminders import generate_reminders

from .app_context import pass_services
from .failures import fail, failures
from .tables import table
from .timers import parse_now

REASONS = {
    ReminderReason.WARNING: "临期预警",
    ReminderReason.OVERDUE: "逾期督办",
    ReminderReason.OVERDUE_AGAIN: "逾期再次督办",
    ReminderReason.AWAITING_VERIFICATION: "待核实",
    ReminderReason.FLAGGED: "挂牌督办",
}
MAIL = {MailStatus.NONE: "-", MailStatus.PENDING: "待发送", MailStatus.SENT: "已发送", MailStatus.FAILED: "发送失败"}


@click.command("reminders")
@click.option("--user", "login", help="login of the person whose reminders to show")
@click.option("--all", "show_all", is_flag=True, help="also the reminders already read (unread still first)")
@click.option("--mark-read", is_flag=True, help="mark the person's unread reminders read once shown")
@click.option("--send", is_flag=True,
              help="create the reminders that are due and mail the pending ones, once (what the scheduler does)")
@click.option("--now", "now_text", help="with --send: pretend it is this time (ISO 8601; default: the real time)")
@pass_services
def reminders(found: Services, login: str | None, show_all: bool, mark_read: bool, send: bool,
              now_text: str | None) -> None:
    """Show a person's reminders (督办提醒), unread first; or, with --send, create and mail the due ones."""
    if not login and not send:
        fail("give --user LOGIN to show a person's reminders, or --send to create and mail the due ones")
    if now_text and not send:
        fail("--now goes with --send")
    if send:
        click.echo(_send(found, parse_now(now_text) if now_text else found.workflow_engine.clock()))
    if login:
        _show(found, login, show_all=show_all, read=mark_read)


def _send(found: Services, now: datetime) -> str:
    settings = settings_for(found)
    with failures(), found.unit_of_work() as session:
        created = generate_reminders(session, now, settings.reminders)
    if settings.smtp is None:
        return f"reminders created: {created} (SMTP_HOST not set: shown in the app, not mailed)"
    run: ReminderRun = send_pending_mail(found, now, settings.smtp, settings.policy)
    return f"reminders created: {created}; mail sent: {run.sent}, to retry: {run.retrying}, failed: {run.failed}"


def _show(found: Services, login: str, *, show_all: bool, read: bool) -> None:
    with failures(), found.unit_of_work() as session:
        person = person_by_login(session, login)
        if person is None:
            fail(f"no person with login '{login}'")
        unread, total = reminder_counts(session, login)
        rows = [_row(r) for r in reminders_for(session, login, unread_only=not show_all, unread_first=True)]
        marked = mark_reminders_read(session, login, found.workflow_engine.clock()) if read else 0
    click.echo(f"{person.name}（{login}）的提醒：未读 {unread} 条，共 {total} 条")
    table(["状态", "时间", "类别", "提醒", "邮件"], rows)
    if read:
        click.echo(f"已标为已读：{marked} 条")


def _row(reminder: Reminder) -> list[str]:
    return ["未读" if reminder.read_at is None else "已读", local_datetime(reminder.created_at),
            REASONS[reminder.reason], reminder.subject, MAIL[reminder.mail_status]]


COMMANDS: list[click.Command] = [reminders]
