"""Reminders by e-mail through a real SMTP server (issue 10's "Done when"): each once, in Chinese, naming
the item and its deadline; a refused address or a server that is down backs off and finally fails
without holding back the others.

The small plan of ``tests/workflows/deadline_world``: 1.1.1 (理论学习不够深入) due 2026-03-31, officer1
张干事 and leader1 李书记 with addresses; the app's scheduler job runs on a moved clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock
from web.reminder_jobs import ReminderRun, run_reminder_jobs
from web.services import services
from workflows.models import MailStatus, Person, Reminder
from workflows.reminder_mail import LEASE, claim_mail

from ..conftest import START
from ..workflows.deadline_world import make_world
from .conftest import make_test_app
from .smtp_server import SENDER, Mailbox, body_of, free_port, smtp_server

OFFICER = "zhang@example.cn"
LEADER = "li@example.cn"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@dataclass
class Office:
    """The app with its clock, on the small plan."""

    app: Flask
    clock: FixedClock

    def run(self, when: datetime) -> ReminderRun:
        """The scheduler's work at ``when``: fire due timers, then the reminder job."""
        self.clock.set(when)
        found = services(self.app)
        with found.unit_of_work() as session:
            found.workflow_engine.fire_due_timers(session, when)
        return run_reminder_jobs(found, when)  # as the scheduler's thread does: no app context

    def reminders(self, recipient: str) -> list[Reminder]:
        with services(self.app).unit_of_work() as session:
            rows = list(session.scalars(select(Reminder).where(Reminder.recipient == recipient)
                                        .order_by(Reminder.id)))
            session.expunge_all()
            return rows


def office(db_engine: Engine, settings: dict[str, object]) -> Office:
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, **settings)
    found = services(app)
    with found.unit_of_work() as session:
        make_world(session, found.workflow_engine)
        _address(session, "officer1", OFFICER)
        _address(session, "leader1", LEADER)
    return Office(app, clock)


def _address(session: Session, login: str, address: str) -> None:
    person = session.scalars(select(Person).where(Person.login == login)).one()
    person.email = address


def at(day: date, hour: int = 1) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def test_each_reminder_is_mailed_once_in_chinese_naming_item_and_deadline(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    world = office(db_engine, mailbox.settings())
    first = world.run(at(date(2026, 3, 21)))
    assert (first.sent, first.failed) == (1, 0) and first.created >= 1  # others have no address
    [message] = mailbox.to(OFFICER)
    assert str(message["Subject"]) == "【临期预警】1.1.1 理论学习不够深入：整改时限 2026-03-31（剩余 10 天）"
    assert message["From"] == SENDER and str(message["To"]) == f"张干事 <{OFFICER}>"
    body = body_of(message)
    assert "每两个月组织一次中心组集中学习" in body and "整改时限：2026-03-31（剩余 10 天）" in body
    assert "=?utf-8?" in message.as_string() or "=?UTF-8?" in message.as_string()  # encoded on the wire
    [stored] = world.reminders("officer1")
    assert (stored.mail_status, stored.mail_attempts, stored.mailed_at) == (MailStatus.SENT, 1, at(date(2026, 3, 21)))
    assert message["Message-ID"] == f"<rectiflow-reminder-{stored.id}@example.gov.cn>"
    assert message["Date"].datetime == at(date(2026, 3, 21))
    world.run(at(date(2026, 3, 21), hour=2))
    world.run(at(date(2026, 3, 25)))
    assert len(mailbox.to(OFFICER)) == 1  # never twice for the same cause
    world.run(at(date(2026, 4, 1)))  # overdue: the officer and now the leader
    subjects = sorted(str(m["Subject"]) for m in mailbox.received if "1.1.1" in str(m["Subject"]))
    assert subjects == ["【临期预警】1.1.1 理论学习不够深入：整改时限 2026-03-31（剩余 10 天）",
                        "【逾期督办】1.1.1 理论学习不够深入：整改时限 2026-03-31（已逾期 1 天）",
                        "【逾期督办】1.1.1 理论学习不够深入：整改时限 2026-03-31（已逾期 1 天）"]
    assert [str(m["To"]) for m in mailbox.to(LEADER)] == [f"李书记 <{LEADER}>"]


def test_a_refused_address_backs_off_then_fails_while_the_others_are_sent(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    world = office(db_engine, mailbox.settings(MAIL_MAX_ATTEMPTS=3, MAIL_RETRY_SECONDS=60))
    mailbox.refuse.add(OFFICER)
    start = at(date(2026, 4, 1))
    result = world.run(start)
    assert (result.sent, result.retrying, result.failed) == (1, 1, 0)
    assert len(mailbox.to(LEADER)) == 1 and mailbox.to(OFFICER) == []
    [refused] = [r for r in world.reminders("officer1") if r.mail_status != MailStatus.NONE]
    assert (refused.mail_status, refused.mail_attempts) == (MailStatus.PENDING, 1)
    assert refused.mail_next_at == start + timedelta(seconds=60)
    assert refused.mail_error is not None and "550" in refused.mail_error and OFFICER in refused.mail_error
    assert world.run(start + timedelta(seconds=59)).retrying == 0  # not due yet: not tried
    assert world.run(start + timedelta(seconds=60)).retrying == 1  # second attempt, then twice the wait
    [refused] = [r for r in world.reminders("officer1") if r.id == refused.id]
    assert (refused.mail_attempts, refused.mail_next_at) == (2, start + timedelta(seconds=60 + 120))
    assert world.run(start + timedelta(seconds=180)).failed == 1  # the third and last attempt
    [refused] = [r for r in world.reminders("officer1") if r.id == refused.id]
    assert (refused.mail_status, refused.mail_attempts, refused.mail_next_at) == (MailStatus.FAILED, 3, None)
    world.run(start + timedelta(days=1))
    assert mailbox.to(OFFICER) == [] and len(mailbox.to(LEADER)) == 1


def test_a_server_that_is_down_delays_mail_until_it_is_back(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    down = office(db_engine, mailbox.settings(SMTP_PORT=free_port()))
    start = at(date(2026, 3, 21))
    result = down.run(start)
    assert result.created >= 1 and (result.sent, result.retrying) == (0, 1)
    [waiting] = down.reminders("officer1")
    assert waiting.mail_status == MailStatus.PENDING and "ConnectionRefusedError" in (waiting.mail_error or "")
    back = make_test_app(db_engine, ENGINE_CLOCK=down.clock, **mailbox.settings())  # the server is up again
    up = Office(back, down.clock)
    assert up.run(start + timedelta(seconds=60)).sent == 1
    assert [str(m["Subject"]).startswith("【临期预警】1.1.1") for m in mailbox.to(OFFICER)] == [True]
    [done] = up.reminders("officer1")
    assert (done.mail_status, done.mail_attempts) == (MailStatus.SENT, 2)


def test_a_server_down_for_good_fails_every_reminder_after_the_last_attempt(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    down = office(db_engine, mailbox.settings(SMTP_PORT=free_port(), MAIL_MAX_ATTEMPTS=2, MAIL_RETRY_SECONDS=60))
    start = at(date(2026, 4, 1))
    first = down.run(start)
    assert first.retrying >= 2 and first.sent == 0  # officer and leader alike
    second = down.run(start + timedelta(minutes=1))
    assert (second.failed, second.retrying) == (first.retrying, 0)
    mailed = [r for login in ("officer1", "leader1") for r in down.reminders(login) if r.mail_status != "none"]
    assert {r.mail_status for r in mailed} == {MailStatus.FAILED}


def test_only_one_process_wins_a_claim_and_a_lost_process_is_replaced_after_its_lease(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    """Two schedulers claim the same mail: one wins. A winner killed before sending (its claim
    committed, nothing sent) loses nothing: after the lease another run sends it, once."""
    world = office(db_engine, {**mailbox.settings(), "SMTP_HOST": None})  # create without mailing
    world.run(at(date(2026, 3, 21)))
    found = services(world.app)
    [reminder] = world.reminders("officer1")
    with found.unit_of_work() as session:  # SMTP is configured from now on: make it pending
        row = session.get(Reminder, reminder.id)
        assert row is not None
        row.mail_status, row.mail_next_at = MailStatus.PENDING, at(date(2026, 3, 21))
    now = at(date(2026, 3, 21), hour=2)
    with found.unit_of_work() as first, found.unit_of_work() as second:
        won = claim_mail(first, reminder.id, now)
        first.commit()
        lost = claim_mail(second, reminder.id, now)
    assert won is not None and won.attempt == 1 and lost is None
    mailing = Office(make_test_app(db_engine, ENGINE_CLOCK=world.clock, **mailbox.settings()), world.clock)
    assert mailing.run(now + LEASE - timedelta(seconds=1)).sent == 0  # the killed winner's lease holds
    assert mailing.run(now + LEASE).sent == 1
    mailing.run(now + 2 * LEASE)
    assert len(mailbox.to(OFFICER)) == 1


def test_starttls_is_never_skipped_for_a_server_that_does_not_offer_it(
        db_engine: Engine, committing_sessions: sessionmaker[Session], mailbox: Mailbox) -> None:
    """SMTP_SECURITY=starttls against a server without STARTTLS: nothing leaves in the clear."""
    world = office(db_engine, mailbox.settings(SMTP_SECURITY="starttls"))
    assert world.run(at(date(2026, 3, 21))).retrying == 1
    assert mailbox.received == []
    [waiting] = world.reminders("officer1")
    assert "STARTTLS" in (waiting.mail_error or "")
