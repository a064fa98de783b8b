"""Reminders are created once per cause and person, however often and by however many schedulers the
generation runs, and a round costs the same few statements whatever its size."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, WorkflowEngine
from workflows import reminders as reminder_service
from workflows.models import Reminder
from workflows.plans import add_measure, add_part, add_problem, launch
from workflows.reminders import ReminderSettings, generate_reminders

from ..conftest import START
from .deadline_world import make_world
from .plan_fixtures import ADMIN

SETTINGS = ReminderSettings()
OVERDUE_DAY = datetime(2026, 4, 8, 1, tzinfo=UTC)  # 1.1.1 a week overdue, 2.1.1 weeks overdue


def stored(session: Session) -> list[tuple[str, str]]:
    return list(session.execute(select(Reminder.recipient, Reminder.cause).order_by(Reminder.id)).tuples())


def test_running_twice_creates_nothing_more(session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    make_world(session, wf_engine)
    clock.set(OVERDUE_DAY)
    wf_engine.fire_due_timers(session, clock())
    first = generate_reminders(session, clock(), SETTINGS)
    before = stored(session)
    assert first == len(before) > 0
    assert generate_reminders(session, clock(), SETTINGS) == 0
    assert stored(session) == before


def test_a_scheduler_that_read_before_another_committed_stores_nothing_twice(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock, monkeypatch: pytest.MonkeyPatch) -> None:
    """The second scheduler decided from a stale read (it saw no reminders yet): the unique index and
    ``ON CONFLICT DO NOTHING`` keep every reminder single, without an error."""
    make_world(session, wf_engine)
    clock.set(OVERDUE_DAY)
    wf_engine.fire_due_timers(session, clock())
    generate_reminders(session, clock(), SETTINGS)
    before = stored(session)
    monkeypatch.setattr(reminder_service, "_existing", lambda *_args, **_kw: {})
    assert generate_reminders(session, clock(), SETTINGS) == 0
    assert stored(session) == before


@pytest.mark.postgres
def test_two_schedulers_at_once_on_postgresql_create_each_reminder_once(
        db_engine: Engine, committing_sessions: sessionmaker[Session]) -> None:
    if db_engine.dialect.name != "postgresql":
        pytest.skip("two writers at once: PostgreSQL (SQLite serialises its writers)")
    clock = FixedClock(START)
    engine = WorkflowEngine(clock=clock)
    with committing_sessions.begin() as session:
        make_world(session, engine)
    clock.set(OVERDUE_DAY)
    with committing_sessions.begin() as session:
        engine.fire_due_timers(session, clock())
    start = threading.Barrier(2)
    created: list[int] = []
    errors: list[BaseException] = []

    def scheduler() -> None:
        try:
            with committing_sessions.begin() as session:
                start.wait(timeout=30)
                created.append(generate_reminders(session, clock(), SETTINGS))
        except BaseException as exc:  # reported below: a thread's exception would vanish
            errors.append(exc)

    threads = [threading.Thread(target=scheduler) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    with committing_sessions() as session:
        rows = stored(session)
    assert len(rows) == len(set(rows)) == sum(created) > 0  # each stored once, by one of them
    with committing_sessions.begin() as session:
        assert generate_reminders(session, clock(), SETTINGS) == 0


@contextmanager
def statements(session: Session) -> Iterator[list[str]]:
    seen: list[str] = []
    bind = session.get_bind()
    target = bind.engine if hasattr(bind, "engine") else bind

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        seen.append(statement)

    event.listen(target, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(target, "before_cursor_execute", count)


def test_a_bigger_round_costs_the_same_few_statements(
        session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> None:
    world = make_world(session, wf_engine)
    clock.set(datetime(2026, 3, 25, 1, tzinfo=UTC))
    with statements(session) as small:
        few = generate_reminders(session, clock(), SETTINGS)
    part = add_part(session, world.plan.round, "作风建设方面")
    for n in range(30):
        problem = add_problem(session, part, f"问题{n + 1}", leader=world.plan.leader, lead_unit=world.plan.security)
        for m in range(3):
            add_measure(session, problem, f"措施{n + 1}.{m + 1}", deadline=date(2026, 3, 20 + m * 5),
                        units=[world.plan.security])
    launch(session, wf_engine, world.plan.round, ADMIN)
    with statements(session) as large:
        many = generate_reminders(session, clock(), SETTINGS)
    assert many > 30 > few  # every new measure reminded someone ...
    assert len(large) == len(small) <= 12, large  # ... for the same handful of statements
    assert session.scalar(select(func.count()).select_from(Reminder)) == few + many
