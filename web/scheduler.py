"""The timer scheduler: fires due BPMN timers on an interval, one transaction per tick.

It is started explicitly (``rectiflow serve`` or ``rectiflow scheduler``), never
by ``create_app``: several web workers must not each run their own, and a
reloader parent must not run one beside its child.
"""

from __future__ import annotations

import logging
import os
from datetime import datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from .services import Services, services

log = logging.getLogger(__name__)
JOB_ID = "fire_due_timers"


def run_tick(found: Services, now: datetime | None = None) -> list[int]:
    """One scheduler job: fire due timers and commit; a failure rolls back and is logged."""
    try:
        with found.unit_of_work() as session:
            advanced = found.workflow_engine.fire_due_timers(session, now)
    except Exception:
        log.exception("timer tick failed; it will be retried on the next tick")
        return []
    if advanced:
        log.info("timers fired in %d instance(s)", len(advanced))
    return advanced


def _configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    scheduler.add_job(
        run_tick,
        "interval",
        args=[services(app)],
        seconds=app.config["SCHEDULER_INTERVAL_SECONDS"],
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        next_run_time=datetime.now().astimezone(),
    )
    return scheduler


def is_serving_process(*, use_reloader: bool) -> bool:
    """Whether this process serves requests: always without the reloader; with it, only the child.

    Werkzeug's reloader runs the app in a child process it marks ``WERKZEUG_RUN_MAIN=true``;
    the watching parent has no such variable and must not fire timers beside its child.
    """
    return not use_reloader or os.environ.get("WERKZEUG_RUN_MAIN") == "true"


def start_background(app: Flask, *, use_reloader: bool = False) -> BackgroundScheduler | None:
    """Start the in-process scheduler when SCHEDULER_ENABLED, in the serving process only.

    ``use_reloader`` says whether the app is about to run under Werkzeug's reloader.
    """
    if not app.config["SCHEDULER_ENABLED"]:
        return None
    if not is_serving_process(use_reloader=use_reloader):
        return None
    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    _configure(scheduler, app)
    scheduler.start()
    return scheduler


def run_blocking(app: Flask) -> None:
    """Run the scheduler in the foreground (its own process beside gunicorn)."""
    scheduler = BlockingScheduler(timezone="UTC")
    _configure(scheduler, app)
    scheduler.start()
