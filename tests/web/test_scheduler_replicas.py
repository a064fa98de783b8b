"""Timers fire exactly once across scheduler replicas, crashes and downtime, counted from the audit log.

Real ``rectiflow scheduler`` processes with a 1 s tick run against one migrated database:
three on PostgreSQL (they share the work: each takes instances no other holds), one on SQLite
(a single writer). 400 instances of a real timer diagram are due at once. Every test ends
with each instance's timer fired exactly once and none left due; the waits poll the database
with a generous deadline and nothing is timed. The last test shows, in process, that one
instance whose commit fails holds back and rolls back no other.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine.models import SchedulerHeartbeat
from web.cli import main
from web.scheduler import run_tick
from web.services import services
from workflows.schema import upgrade

from .conftest import make_test_app
from .replica_world import Replicas, due_instances, fired, still_due, url_of

# Many enough that the replicas overlap for seconds (each instance is a unit of work of its own, so
# three PostgreSQL replicas contend for every one of them) and a kill after the first 50 lands
# mid-batch; more would only repeat the same race for longer (2,000 took a minute on a busy CI box).
DUE = 400


@pytest.fixture
def database(empty_database: Engine) -> Engine:
    """A database set up as ``rectiflow init-db`` does (the schedulers check its revision)."""
    upgrade(empty_database)
    return empty_database


@pytest.fixture
def replicas(database: Engine, tmp_path: Path) -> Iterator[Replicas]:
    group = Replicas(database, tmp_path)
    try:
        yield group
    finally:
        group.close()


def how_many(database: Engine) -> int:
    """Three replicas on PostgreSQL; SQLite has one writer, so one."""
    return 3 if database.dialect.name == "postgresql" else 1


def assert_each_fired_once(replicas: Replicas, database: Engine, instances: list[int]) -> None:
    replicas.wait_for(lambda: still_due(database) == 0, "every due timer fired")
    replicas.stop_all()  # nothing more can fire: count now
    counts = fired(database)
    twice = {i: n for i, n in counts.items() if n != 1}
    assert twice == {}, f"fired more than once: {twice}"
    assert sorted(counts) == sorted(instances), replicas.output()


def status(database: Engine) -> str:
    result = CliRunner().invoke(main, ["scheduler", "--status"], env={
        "RECTIFLOW_DATABASE_URL": url_of(database), "RECTIFLOW_SCHEDULER_INTERVAL_SECONDS": "1"})
    assert result.exit_code == 0, result.output
    return result.output


def ticked(database: Engine) -> int:
    """Replicas whose heartbeat says they ticked."""
    with Session(database) as session:
        return session.scalar(select(func.count()).select_from(SchedulerHeartbeat)
                              .where(SchedulerHeartbeat.last_tick_at.is_not(None))) or 0


def test_every_due_timer_fires_exactly_once_however_many_replicas_run(database, replicas):
    instances = due_instances(database, DUE, datetime.now(UTC) - timedelta(minutes=5))
    replicas.start(how_many(database))

    assert_each_fired_once(replicas, database, instances)
    shown = status(database)
    for process in replicas.processes:  # every replica ticked and said so in its heartbeat
        assert f":{process.pid} " in shown, shown
    assert "due backlog: 0 timer(s) due" in shown and "open incidents: 0" in shown


def test_a_replica_killed_mid_batch_loses_nothing_and_duplicates_nothing(database, replicas):
    instances = due_instances(database, DUE, datetime.now(UTC) - timedelta(minutes=5))
    victim, *_others = replicas.start(how_many(database))
    replicas.wait_for(lambda: sum(fired(database).values()) >= 50, "the first timers fired")

    replicas.kill(victim)  # SIGKILL: its open transaction (one instance) is rolled back by the database
    left = still_due(database)
    assert left > 0, "the batch was over before the kill; the test proves nothing"
    if replicas.running() == 0:  # SQLite: the only replica; its restart picks up what is left
        replicas.start(1)
    assert_each_fired_once(replicas, database, instances)


def test_timers_that_fell_due_while_every_replica_was_down_fire_once_on_start(database, replicas):
    replicas.start(how_many(database))
    # A cheap query to poll (``status`` builds an app per call, stealing CPU from the replicas), then
    # what an operator sees.
    replicas.wait_for(lambda: ticked(database) == len(replicas.processes), "the replicas ticked")
    assert "running" in status(database)
    replicas.stop_all()
    down_since = datetime.now(UTC)
    due_at = down_since + timedelta(seconds=1)
    instances = due_instances(database, DUE, due_at)  # not due yet: they fall due while nothing runs
    replicas.wait_for(lambda: datetime.now(UTC) > due_at, "the timers fell due")
    assert f"due backlog: {DUE} timer(s) due" in status(database)

    replicas.start(how_many(database))
    assert_each_fired_once(replicas, database, instances)


def test_an_instance_whose_commit_fails_holds_back_and_rolls_back_nobody(database, caplog):
    instances = due_instances(database, 5, datetime.now(UTC) - timedelta(minutes=5))
    found = services(make_test_app(database))
    refusals = []

    def refuse_first_commit(connection):
        if not refusals:  # the first COMMIT of the tick: its first instance
            refusals.append(connection)
            raise RuntimeError("the database refused this commit")

    event.listen(database, "commit", refuse_first_commit)
    first = run_tick(found)
    assert len(first) == 4 and "could not be committed; retried on the next tick" in caplog.text
    assert fired(database) == dict.fromkeys(first, 1)  # the four others are committed
    [late] = set(instances) - set(first)
    assert run_tick(found) == [late]  # the next tick fires it
    assert fired(database) == dict.fromkeys(instances, 1)
