"""The scheduler job: fires due timers, each instance in a committed unit of work of its own."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import ProcessEvent
from web.scheduler import run_tick, start_background
from web.services import services

from ..lifecycle_helpers import deploy_lifecycle, start
from .conftest import make_test_app


def test_a_tick_fires_due_timers_and_commits(db_engine, committing_sessions, clock):
    app = make_test_app(db_engine, ENGINE_CLOCK=clock)
    engine = services(app).workflow_engine
    with committing_sessions() as s:
        deploy_lifecycle(s, engine)
        instance_id = start(s, engine, measures=2, deadline_days=3).id
        s.commit()
    assert run_tick(services(app), clock()) == []
    assert run_tick(services(app), clock() + timedelta(days=4)) == [instance_id]
    with committing_sessions() as s:  # a fresh session sees the committed result
        names = s.scalars(select(ProcessEvent.name).where(ProcessEvent.instance_id == instance_id)).all()
    assert names == ["measure_overdue", "measure_overdue"]
    assert run_tick(services(app), clock() + timedelta(days=5)) == []  # fired once


def test_a_failing_tick_rolls_back_and_reports_nothing(db_engine, committing_sessions, monkeypatch, caplog):
    app = make_test_app(db_engine)

    def broken(session, now=None, **_tick):
        raise RuntimeError("database went away")

    # The scheduler fires one instance per unit of work (engine.fire_next_due_timer), not the batch.
    monkeypatch.setattr(services(app).workflow_engine, "fire_next_due_timer", broken)
    assert run_tick(services(app)) == []
    assert "timer tick failed" in caplog.text


def test_the_scheduler_only_starts_when_enabled(db_engine, committing_sessions):
    assert start_background(make_test_app(db_engine, SCHEDULER_ENABLED=False)) is None
    scheduler = start_background(make_test_app(db_engine, SCHEDULER_ENABLED=True, SCHEDULER_INTERVAL_SECONDS=3600))
    try:
        assert scheduler is not None and scheduler.get_job("fire_due_timers") is not None
    finally:
        scheduler.shutdown(wait=True)


def test_under_the_reloader_only_the_serving_child_runs_the_scheduler(db_engine, committing_sessions, monkeypatch):
    app = make_test_app(db_engine, SCHEDULER_ENABLED=True, SCHEDULER_INTERVAL_SECONDS=3600)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    assert start_background(app, use_reloader=True) is None  # the watching parent: no variable
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")  # the child Werkzeug starts to serve
    scheduler = start_background(app, use_reloader=True)
    try:
        assert scheduler is not None and scheduler.get_job("fire_due_timers") is not None
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=True)
