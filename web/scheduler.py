"""The timer scheduler: fires due BPMN timers on an interval, one committed unit of work per instance.

It is started explicitly (``rectiflow serve`` or ``rectiflow scheduler``), never
by ``create_app``: several web workers must not each run their own, and a
reloader parent must not run one beside its child. Any number of ``rectiflow scheduler``
processes may run against one PostgreSQL: each tick takes instances no other process
holds (web/timer_jobs.py), so every timer fires once.

A tick fires what is due (``due_at <= now``), so a tick that comes late, or the first one
after every process was down, fires everything that fell due meanwhile. APScheduler is told
never to drop a late run (``misfire_grace_time=None``) and to run one tick for several missed
(``coalesce``), and one tick at a time per process (``max_instances=1``).
"""

from __future__ import annotations

import logging
import os
from datetime import UTC, datetime

from apscheduler.job import Job
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from engine.request_context import new_request_id, request_id_scope

from .logging_setup import configure_logging
from .reminder_jobs import run_reminder_jobs
from .services import Services, services
from .timer_jobs import Replica, fire_due_timers

log = logging.getLogger(__name__)
JOB_ID = "fire_due_timers"


def run_tick(found: Services, now: datetime | None = None, *, replica: Replica | None = None) -> list[int]:
    """One scheduler job: fire due timers (each instance committed on its own), record this
    replica's heartbeat, then run the reminder jobs; returns the instances advanced.

    Nothing escapes: a failure is logged (and kept in the heartbeat), and the next tick tries again.
    The tick is one traceable unit: its log lines and audit rows carry the id ``tick-<hex>``.
    """
    with request_id_scope(f"tick-{new_request_id()}"):
        return _tick(found, now, replica)


def _tick(found: Services, now: datetime | None, replica: Replica | None) -> list[int]:
    run = fire_due_timers(found, now, progress=replica.beat_while_busy(found) if replica else None)
    if run.advanced or run.failed:
        log.info("timers fired in %d instance(s), %d failed", len(run.advanced), len(run.failed))
    if replica is not None:
        replica.beat(found, fired=len(run.advanced), error=run.error)
    try:
        run_reminder_jobs(found, now or found.workflow_engine.clock())  # it logs what it did
    except Exception:  # reminders must never stop timers: the next tick runs them again
        log.exception("reminder jobs failed; timers are not affected")
    return run.advanced


class _BusyTickFilter(logging.Filter):
    """Drops APScheduler's warning that a tick was skipped because the previous one still runs:
    with a short interval a long pass over a backlog is expected, and the next tick follows it."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "maximum number of running instances" not in str(record.msg)


_BUSY_TICK = _BusyTickFilter()


def _configure(scheduler: BaseScheduler, app: Flask) -> BaseScheduler:
    found = services(app)
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]

    jobs: list[Job] = []

    def next_tick() -> datetime | None:
        # The job object itself, never scheduler.get_job: that takes the lock shutdown() holds
        # while it waits for this very job to end.
        when: datetime | None = jobs[0].next_run_time if jobs else None
        return when.astimezone(UTC) if when is not None else None

    replica = Replica.of_this_process(found.workflow_engine.clock(), interval, next_tick)
    logging.getLogger("apscheduler.scheduler").addFilter(_BUSY_TICK)  # added once, however many apps
    jobs.append(scheduler.add_job(
        run_tick,
        "interval",
        args=[found],
        kwargs={"replica": replica},
        seconds=interval,
        id=JOB_ID,
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
        next_run_time=datetime.now().astimezone(),
    ))
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
    """Run the scheduler in the foreground (its own process beside gunicorn), logging what it fires."""
    # A process of its own: its log is its only output (warnings, and what web.* fired).
    configure_logging(app.config["LOG_FORMAT"])
    scheduler = BlockingScheduler(timezone="UTC")
    _configure(scheduler, app)
    scheduler.start()
