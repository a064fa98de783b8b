"""Timer commands: ``tick`` (fire due timers once, or replay a date) and ``scheduler`` (fire them
forever; ``--status`` shows the replicas, the due backlog and the incidents)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import click
from flask import Flask

from engine import FixedClock
from engine.heartbeat import STOPPED_AFTER_INTERVALS, SchedulerStatus, scheduler_status
from web.formatting import to_local
from web.scheduler import run_blocking
from web.services import Services, services
from web.timer_jobs import fire_due_timers
from workflows.tick_summary import mark_before_tick, summarise_tick, tick_lines

from .app_context import pass_app, pass_services
from .failures import fail, failures
from .tables import cut, table


@click.command()
@click.option("--now", "now_text", help="pretend it is this time (ISO 8601; default: the real time)")
@pass_services
def tick(found: Services, now_text: str | None) -> None:
    """Fire every timer that is due, and say what it did: items overdue, look-backs opened,
    periodic reports due, timers that failed. Each problem's timers are committed on their own."""
    if now_text:
        # The whole command runs at that time: timers, due dates and audit records alike.
        found = found.with_clock(FixedClock(parse_now(now_text)))
    with failures():
        with found.unit_of_work() as session:
            now = found.workflow_engine.clock()
            before = mark_before_tick(session, now)
        run = fire_due_timers(found, now, raise_errors=True)
        with found.unit_of_work() as session:
            lines = tick_lines(summarise_tick(session, before, run.advanced))
    click.echo("\n".join(lines))


@click.command("scheduler")
@click.option("--status", "show_status", is_flag=True,
              help="show every scheduler replica, the due backlog, its lateness and the open incidents, "
                   "then exit (starts no scheduler)")
@pass_app
def scheduler_command(app: Flask, show_status: bool) -> None:
    """Run only the timer scheduler (beside gunicorn workers, which do not run one); any number may
    run against one PostgreSQL, each timer fires once."""
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    if show_status:
        found = services(app)
        with found.unit_of_work() as session:
            status = scheduler_status(session, found.workflow_engine.clock(), interval_seconds=interval)
        print_status(status, interval)
        return
    click.echo(f"Rectiflow scheduler: firing due timers every {interval}s")
    run_blocking(app)


def print_status(status: SchedulerStatus, interval: int) -> None:
    """The status as ``scheduler --status`` prints it."""
    silent = interval * STOPPED_AFTER_INTERVALS
    if not status.replicas:
        click.echo("scheduler replicas: none has run yet (start one: rectiflow scheduler)")
    else:
        click.echo(f"scheduler replicas (a tick every {interval}s; stopped: not seen for over {silent}s):")
        table(["replica", "state", "last tick", "age", "next tick", "fired", "last error"], [
            [r.replica, "stopped" if r.stopped else "running", _time(r.last_tick_at), _ago(r.age),
             _time(r.next_tick_at), str(r.last_fired), cut(r.last_error or "", 40)]
            for r in status.replicas
        ])
    retrying = f" ({status.retrying} retrying after a failure)" if status.retrying else ""
    click.echo(f"due backlog: {status.due} timer(s) due{retrying}")
    if status.oldest_due_at is not None and status.lateness is not None:
        click.echo(f"oldest due timer: due {_time(status.oldest_due_at)}, {_span(status.lateness)} late")
    else:
        click.echo("oldest due timer: none")
    hint = " (list: rectiflow incidents; retry: rectiflow incidents retry ID --user LOGIN)" if status.incidents else ""
    click.echo(f"open incidents: {status.incidents}{hint}")


def _time(value: datetime | None) -> str:
    return to_local(value).strftime("%Y-%m-%d %H:%M:%S") if value is not None else "-"


def _ago(age: timedelta) -> str:
    return f"{_span(age)} ago"


def _span(span: timedelta) -> str:
    """A duration as people read it: 4s, 3m 20s, 2h 5m, 3d 4h."""
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {seconds}s" if minutes else f"{seconds}s"


def parse_now(text: str) -> datetime:
    """``--now``: an ISO 8601 time or date (a date means its midnight), UTC unless it says otherwise."""
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            fail(f"--now is not an ISO 8601 time: {text!r}")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


COMMANDS = [tick, scheduler_command]
