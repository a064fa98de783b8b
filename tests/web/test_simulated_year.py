"""A simulated year (issue 10, item 6): one round run for a year on a controlled clock.

Nothing sleeps and nothing triggers the scheduler by hand: each day the clock moves to 09:00 in
China and the scheduler's own job (``web.scheduler.run_tick``: timers, then reminders) runs as
it would on a server. People act on their tasks on chosen days, through the same services the
web and the command line use. Over the year: monthly reports of a long-term problem arrive in
the officers' inboxes; deadlines pass into the warning window and then overdue, escalated to the
leader and reminded to the people concerned; a problem closed in the first week comes back for
回头看 six months later, which finds a rebound and reopens it with fresh deadlines.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, HumanTask, ProcessEvent, TaskStatus
from web.scheduler import run_tick
from web.services import Services, services
from workflows import tasks as task_service
from workflows.deadlines import CHINA
from workflows.demo import create_demo_plan
from workflows.ledger import ledger_rows
from workflows.models import InspectionRound, Measure, Reminder, ReminderReason
from workflows.models import ProblemStatus as S
from workflows.people import actor_by_login
from workflows.schema import deploy_bundled
from workflows.stages import Stage
from workflows.task_lookup import LedgerNumber, find_problem, task_for_number
from workflows.warnings import WarningColour

from .conftest import make_test_app

START = date(2027, 1, 4)  # a Monday; the demo's deadlines are set relative to it
OFFICER_OF_UNIT = {"BGS": "bgs", "ZZK": "zzk", "WWK": "wwk", "DWK": "dwk", "DZZ": "dzz"}
LONG_TERM = "1.3"  # 意识形态责任制虚化: long-term, monthly reports
CLOSED_EARLY = "2.1"  # done in the first week, looked back at after six months
LEFT_ALONE = "1.2"  # nobody works on it: warnings, overdue, escalation


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), CHINA)


@dataclass
class Year:
    app: Flask
    found: Services
    clock: FixedClock
    round_id: int

    def day(self, n: int) -> date:
        return START + timedelta(days=n)

    def morning(self, n: int) -> None:
        """Day ``n`` begins: the clock moves to 09:00 and the scheduler's job runs, as on a server."""
        self.clock.set(at_nine(self.day(n)))
        run_tick(self.found)

    def act(self, number: str, login: str, **data: Any) -> None:
        """``login`` claims and completes the open task of ``number`` with ``data``."""
        with self.found.unit_of_work() as session:
            actor = actor_by_login(session, login)
            round_ = session.get(InspectionRound, self.round_id)
            assert round_ is not None
            task = task_for_number(session, round_, _number(number), actor)
            if task.assignee is None:
                task_service.claim(session, self.found.workflow_engine, task.id, actor)
            task_service.complete(session, self.found.workflow_engine, task.id, actor, data)

    def officer_of(self, number: str) -> str:
        """Who works on the open task of ``number``: the person it names (a measure's leader), else
        the demo officer of the unit it is offered to."""
        with self.found.unit_of_work() as session:
            round_ = session.get(InspectionRound, self.round_id)
            assert round_ is not None
            task = task_for_number(session, round_, _number(number), None)
            return task.candidate_user or OFFICER_OF_UNIT[task.candidate_unit or ""]

    def rows(self) -> dict[str, Any]:
        with self.found.unit_of_work() as session:
            round_ = session.get(InspectionRound, self.round_id)
            assert round_ is not None
            return {r.number: r for r in ledger_rows(session, round_, now=self.clock(), window_days=10)}

    def tasks_of(self, number: str, stage: Stage) -> list[HumanTask]:
        with self.found.unit_of_work() as session:
            round_ = session.get(InspectionRound, self.round_id)
            assert round_ is not None
            problem, _ = find_problem(session, round_, _number(number))
            found = list(session.scalars(select(HumanTask).where(
                HumanTask.instance_id == problem.instance_id, HumanTask.stage == stage.value).order_by(HumanTask.id)))
            session.expunge_all()
            return found

    def events_of(self, number: str) -> list[tuple[str, str | None, date]]:
        with self.found.unit_of_work() as session:
            round_ = session.get(InspectionRound, self.round_id)
            assert round_ is not None
            problem, _ = find_problem(session, round_, _number(number))
            return [(e.name, e.item_key, e.at.astimezone(CHINA).date()) for e in session.scalars(
                select(ProcessEvent).where(ProcessEvent.instance_id == problem.instance_id).order_by(ProcessEvent.id))]


    def reminders_about(self, item_key: str) -> dict[tuple[str, ReminderReason], list[date]]:
        """The days each person was reminded about ``item_key``, by reason."""
        found: dict[tuple[str, ReminderReason], list[date]] = {}
        with self.found.unit_of_work() as session:
            for reminder in session.scalars(select(Reminder).where(Reminder.item_key == item_key)
                                            .order_by(Reminder.created_at, Reminder.id)):
                days = found.setdefault((reminder.recipient, reminder.reason), [])
                days.append(reminder.created_at.astimezone(CHINA).date())
        return found

    def people_of(self, row: Any) -> tuple[str, str]:
        """The officer of the measure's unit and its responsible leader (logins)."""
        with self.found.unit_of_work() as session:
            measure = session.get(Measure, row.measure_id)
            assert measure is not None
            unit = measure.responsible_units[0] if measure.responsible_units else (
                measure.lead_unit or measure.problem.lead_unit)
            leader = measure.responsible_leader or measure.problem.responsible_leader
            assert unit is not None and leader is not None
            return OFFICER_OF_UNIT[unit.code], leader.login


def _number(text: str) -> LedgerNumber:
    parts = [int(p) for p in text.split(".")]
    return LedgerNumber(parts[0], parts[1], parts[2] if len(parts) > 2 else None)


@pytest.fixture
def year(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Iterator[Year]:
    clock = FixedClock(at_nine(START))
    app = make_test_app(db_engine, ENGINE_CLOCK=clock)
    found = services(app)
    with found.unit_of_work() as session:
        deploy_bundled(session, found.workflow_engine, actor="admin")
        round_ = create_demo_plan(session, found.workflow_engine, today=START, at=clock())
        round_id = round_.id
    yield Year(app, found, clock, round_id)


def test_a_year_of_supervision_runs_on_the_clock_alone(year: Year) -> None:
    rows = year.rows()
    left_alone = rows[f"{LEFT_ALONE}.1"]
    assert left_alone.deadline is not None and not left_alone.long_term
    warn_day = (left_alone.deadline - START).days - 10  # the warning window opens ten days before
    closed_early = [n for n in rows if n.startswith(CLOSED_EARLY + ".")]
    long_term = [n for n in rows if n.startswith(LONG_TERM + ".")]

    colours: dict[int, WarningColour | None] = {}
    closed_on: date | None = None
    lookback_on: date | None = None
    for n in range(0, 366):
        year.morning(n)
        if n == 2:  # the first week: the officers do 2.1, the leader approves, supervision closes it
            for number in closed_early:
                year.act(number, year.officer_of(number), progress=f"{number} 已整改", measure_done=True)
            for number in closed_early:
                year.act(number, year.officer_of(number), review_decision="approve")
            year.act(CLOSED_EARLY, "ducha", verify_decision="pass")
            closed_on = year.day(n)
            assert year.rows()[closed_early[0]].problem_status == S.CLOSED
            # and the long-term problem's measures are carried out: it moves on to periodic follow-up
            for number in long_term:
                year.act(number, year.officer_of(number), progress=f"{number} 已落实", measure_done=True)
            for number in long_term:
                year.act(number, year.officer_of(number), review_decision="approve")
            assert year.rows()[long_term[0]].problem_status == S.LONG_TERM
        if n in (warn_day - 1, warn_day, left_alone.deadline.toordinal() - START.toordinal() + 1):
            warning = year.rows()[left_alone.number].warning
            colours[n] = warning.colour if warning is not None else None
        if lookback_on is None and any(  # the first 回头看 is the one the test acts on; later days need no look
                t.status == TaskStatus.OPEN for t in year.tasks_of(CLOSED_EARLY, Stage.LOOKBACK)):
            lookback_on = year.day(n)
            year.act(CLOSED_EARLY, "ducha", lookback_decision="rebound", reason="宣传栏再次空置",
                     new_deadline=(year.day(n) + timedelta(days=60)).isoformat())

    # Warnings: green the day before the window, yellow inside it, red the day after the deadline.
    assert colours == {warn_day - 1: WarningColour.GREEN, warn_day: WarningColour.YELLOW,
                       max(colours): WarningColour.RED}
    # Escalation: the deadline timer marked each untouched measure overdue, once, the day after its deadline.
    overdue = [(key, day) for name, key, day in year.events_of(LEFT_ALONE) if name == "measure_overdue"]
    assert len(overdue) == len({key for key, _ in overdue}) == len([n for n in rows if n.startswith(LEFT_ALONE + ".")])
    assert (f"measure:{left_alone.measure_id}", left_alone.deadline + timedelta(days=1)) in overdue

    # Reminders went out by themselves: the officer when the window opened, officer and leader once
    # overdue, and again every REMINDER_REPEAT_DAYS (7) while it stays overdue; each cause once.
    reminders = year.reminders_about(f"measure:{left_alone.measure_id}")
    officer, leader = year.people_of(left_alone)
    assert reminders[(officer, ReminderReason.WARNING)] == [year.day(warn_day)]
    overdue_day = left_alone.deadline + timedelta(days=1)
    for person in (officer, leader):
        assert reminders[(person, ReminderReason.OVERDUE)] == [overdue_day]
        again = reminders[(person, ReminderReason.OVERDUE_AGAIN)]
        assert again[:3] == [overdue_day + timedelta(days=7 * k) for k in (1, 2, 3)]
        assert all(b - a == timedelta(days=7) for a, b in zip(again, again[1:], strict=False))

    # 回头看 six months after 销号 (the diagram's P6M), not before; the rebound reopened the problem.
    assert closed_on is not None and lookback_on is not None
    assert lookback_on == _months_later(closed_on, 6)
    final = year.rows()
    assert final[closed_early[0]].problem_status == S.REOPENED or final[closed_early[0]].reopen is not None
    assert final[closed_early[0]].reopen is not None and final[closed_early[0]].reopen.rebound
    assert final[closed_early[0]].deadline == lookback_on + timedelta(days=60)
    reopened = [t for t in year.tasks_of(CLOSED_EARLY, Stage.MEASURE_SUBMIT) if t.created_at.astimezone(CHINA).date()
                == lookback_on]
    assert len(reopened) == len(closed_early)

    # The long-term problem's periodic reports arrived every month, in the officers' inboxes.
    reports = year.tasks_of(LONG_TERM, Stage.LONG_TERM_REPORT)
    by_month = Counter((t.created_at.astimezone(CHINA).year, t.created_at.astimezone(CHINA).month) for t in reports)
    assert by_month == Counter({(2027, month): 1 for month in range(2, 13)}), by_month  # one a month from February
    assert all(t.status == TaskStatus.OPEN for t in reports)  # nobody reported: they wait, none lost
    with year.found.unit_of_work() as session:
        officer = actor_by_login(session, reports[0].candidate_user or OFFICER_OF_UNIT[reports[0].candidate_unit or ""])
        inbox = {t.id for t in task_service.inbox(session, officer)}
    assert {t.id for t in reports} <= inbox


def _months_later(day: date, months: int) -> date:
    month = day.month - 1 + months
    return date(day.year + month // 12, month % 12 + 1, day.day)
