"""Timer commands: ``tick`` (fire due timers once, or replay a date) and ``scheduler`` (fire them forever)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import click
from flask import Flask

from engine import FixedClock
from web.scheduler import run_blocking
from web.services import Services
from workflows.tick_summary import mark_before_tick, summarise_tick, tick_lines

from .app_context import pass_app, pass_services
from .failures import fail, failures


@click.command()
@click.option("--now", "now_text", help="pretend it is this time (ISO 8601; default: the real time)")
@pass_services
def tick(found: Services, now_text: str | None) -> None:
    """Fire every timer that is due, and say what it did: items overdue, look-backs opened,
    periodic reports due, timers that failed."""
    if now_text:
        # The whole command runs at that time: timers, due dates and audit records alike.
        found = found.with_clock(FixedClock(parse_now(now_text)))
    engine = found.workflow_engine
    with failures(), found.unit_of_work() as session:
        now = engine.clock()
        before = mark_before_tick(session, now)
        advanced = engine.fire_due_timers(session, now)
        lines = tick_lines(summarise_tick(session, before, advanced))
    click.echo("\n".join(lines))


@click.command("scheduler")
@pass_app
def scheduler_command(app: Flask) -> None:
    """Run only the timer scheduler (beside gunicorn workers, which do not run one)."""
    click.echo(f"Rectiflow scheduler: firing due timers every {app.config['SCHEDULER_INTERVAL_SECONDS']}s")
    run_blocking(app)


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
