"""The ``rectiflow`` command line: one unit of work (and one commit) per command."""

from __future__ import annotations

import contextlib
import os
import sys
import unicodedata
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import NoReturn

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, EngineError, FixedClock, WorkflowEngine, parse_json_data
from engine.db import make_engine, make_session_factory
from workflows import tasks as task_service
from workflows.demo import DEMO_PASSWORD, create_demo_plan
from workflows.errors import DomainError
from workflows.ledger import ledger_rows
from workflows.models import InspectionRound
from workflows.people import actor_for, person_by_login
from workflows.plans import get_round
from workflows.schema import deploy_bundled, upgrade

DEFAULT_URL = "sqlite:///rectiflow.db"


def database_url() -> str:
    """RECTIFLOW_DATABASE_URL, or ``rectiflow.db`` in the current directory."""
    return os.environ.get("RECTIFLOW_DATABASE_URL") or DEFAULT_URL


class Context:
    """What every command needs: a database, an engine, and a unit of work."""

    def __init__(self, url: str, now: datetime | None = None) -> None:
        self.db_engine = make_engine(url)
        self.sessions = make_session_factory(self.db_engine)
        # Close the pool's connections when the command ends, whatever happens.
        current = click.get_current_context(silent=True)
        if current is not None:
            current.call_on_close(self.db_engine.dispose)
        self.workflow_engine = WorkflowEngine(clock=FixedClock(now)) if now else WorkflowEngine()

    @contextlib.contextmanager
    def unit_of_work(self) -> Iterator[Session]:
        """One transaction: committed if the command succeeds, rolled back otherwise."""
        session = self.sessions()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()


def _fail(message: str) -> NoReturn:
    raise click.ClickException(message)


@contextlib.contextmanager
def _errors() -> Iterator[None]:
    try:
        yield
    except (EngineError, DomainError, ValueError) as exc:
        _fail(str(exc))


@click.group()
def main() -> None:
    """Rectiflow 整改通: BPMN workflow for inspection rectification (巡察整改)."""


def _context(now: datetime | None = None) -> Context:
    return Context(database_url(), now)


def _actor(session: Session, login: str) -> Actor:
    person = person_by_login(session, login)
    if person is None or not person.active:
        _fail(f"no active person with login '{login}'")
    return actor_for(person)


@main.command("init-db")
def init_db() -> None:
    """Create or upgrade the database schema (Alembic migrations)."""
    with _errors():
        context = _context()
        upgrade(context.db_engine)
    click.echo(f"database ready: {context.db_engine.url.render_as_string(hide_password=True)}")


@main.command()
@click.argument("files", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--user", "login", default="admin", show_default=True, help="who deploys (for the audit log)")
def deploy(files: tuple[Path, ...], login: str) -> None:
    """Deploy BPMN files (default: every diagram in bpmn/) as new versions when changed."""
    context = _context()
    with _errors(), context.unit_of_work() as session:
        if not files:
            lines = deploy_bundled(session, context.workflow_engine, actor=login)
        else:
            lines = []
            for path in files:
                for result in context.workflow_engine.deploy_path(session, path, actor=login):
                    d = result.definition
                    lines.append(f"{d.process_key} v{d.version} ({path.name}): "
                                 f"{'deployed' if result.created else 'unchanged'}")
    for line in lines:
        click.echo(line)


@main.command()
def demo() -> None:
    """Set up the schema, deploy the diagrams and load the demo organisation and plan."""
    context = _context()
    with _errors():
        upgrade(context.db_engine)
        with context.unit_of_work() as session:
            deploy_bundled(session, context.workflow_engine, actor="admin")
            if person_by_login(session, "admin") is not None:
                _fail("the demo is already loaded in this database")
            now = context.workflow_engine.clock()
            round_ = create_demo_plan(session, context.workflow_engine, today=now.date(), at=now)
            problems = sum(len(p.problems) for p in round_.parts)
            measures = sum(len(pr.measures) for p in round_.parts for pr in p.problems)
            summary = (f"round {round_.id}: {len(round_.parts)} parts, {problems} problems, "
                       f"{measures} measures")
    click.echo(f"demo loaded: {summary}")
    click.echo(f"people (password {DEMO_PASSWORD}): admin, ducha (督查), shuji, fushuji (领导), "
               "bgs, zzk, wwk, dwk, dzz (经办人)")


@main.command()
@click.option("--user", "login", required=True, help="login of the person whose inbox to show")
@click.option("--mine", is_flag=True, help="only tasks the person has claimed")
def tasks(login: str, mine: bool) -> None:
    """List a person's open tasks (claimed and claimable)."""
    context = _context()
    with _errors(), context.unit_of_work() as session:
        actor = _actor(session, login)
        rows = task_service.inbox(session, actor, include_claimable=not mine)
        lines = [[str(t.id), t.name, t.item_key or "", t.assignee or "-",
                  t.due_at.date().isoformat() if t.due_at else "", t.form_key or ""] for t in rows]
    _table(["task", "name", "item", "claimed by", "due", "form"], lines)


@main.command()
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
def claim(task_id: int, login: str) -> None:
    """Claim a task."""
    context = _context()
    with _errors(), context.unit_of_work() as session:
        task = task_service.claim(session, context.workflow_engine, task_id, _actor(session, login))
        message = f"task {task.id} ({task.name}) claimed by {task.assignee}"
    click.echo(message)


@main.command()
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
def unclaim(task_id: int, login: str) -> None:
    """Release a claimed task."""
    context = _context()
    with _errors(), context.unit_of_work() as session:
        task = task_service.unclaim(session, context.workflow_engine, task_id, _actor(session, login))
        message = f"task {task.id} ({task.name}) released"
    click.echo(message)


@main.command()
@click.argument("task_id", type=int)
@click.option("--user", "login", required=True)
@click.option("--data", "data_text", default="{}", help='form data as JSON, e.g. \'{"progress": "..."}\'')
def complete(task_id: int, login: str, data_text: str) -> None:
    """Complete a claimed task with its form data."""
    with _errors():
        # Bounded before anything runs: depth, number sizes, NUL and lone surrogates (engine/payload.py).
        data = parse_json_data(data_text, what="--data")
    context = _context()
    with _errors(), context.unit_of_work() as session:
        task = task_service.complete(session, context.workflow_engine, task_id, _actor(session, login), data)
        message = f"task {task.id} ({task.name}) completed"
    click.echo(message)


@main.command()
@click.option("--now", "now_text", help="pretend it is this time (ISO 8601; default: the real time)")
def tick(now_text: str | None) -> None:
    """Fire every timer that is due."""
    now = _parse_now(now_text) if now_text else None
    context = _context(now)
    with _errors(), context.unit_of_work() as session:
        advanced = context.workflow_engine.fire_due_timers(session, now)
    click.echo(f"timers fired in {len(advanced)} instance(s)" + (f": {advanced}" if advanced else ""))


@main.command()
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
def ledger(round_id: int | None) -> None:
    """Print the ledger (台账): problems and measures with status."""
    context = _context()
    with _errors(), context.unit_of_work() as session:
        if round_id is None:
            round_ = session.scalar(select(InspectionRound).order_by(InspectionRound.id.desc()).limit(1))
            if round_ is None:
                _fail("no inspection round yet: run 'rectiflow demo' or 'rectiflow import-plan'")
        else:
            round_ = get_round(session, round_id)
        rows = ledger_rows(session, round_)
        title = round_.title
    click.echo(title)
    _table(
        ["序号", "问题", "问题状态", "整改措施", "整改时限", "措施状态"],
        [[r.number, _cut(r.problem, 14), r.problem_status.value, _cut(r.measure, 22),
          r.deadline.isoformat() if r.deadline else r.deadline_text, r.status.value] for r in rows],
    )


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--scheduler/--no-scheduler", default=True, show_default=True,
              help="fire timers in the background")
def serve(host: str, port: int, scheduler: bool) -> None:
    """Run the web app (and the timer scheduler)."""
    from web.app import create_app
    from web.dev_server import RequestHandler
    from web.scheduler import start_background

    with _errors():
        app = create_app({"SCHEDULER_ENABLED": True} if scheduler else {"SCHEDULER_ENABLED": False})
    started = start_background(app)
    interval = app.config["SCHEDULER_INTERVAL_SECONDS"]
    state = f"scheduler on, every {interval}s" if started else "scheduler off"
    click.echo(f"Rectiflow listening on http://{host}:{port}/  ({state})", err=False)
    try:
        # RequestHandler: a Server header without the Werkzeug and Python versions.
        app.run(host=host, port=port, use_reloader=False, threaded=True, request_handler=RequestHandler)
    finally:
        if started:
            started.shutdown(wait=False)


@main.command("scheduler")
def scheduler_command() -> None:
    """Run only the timer scheduler (beside gunicorn workers, which do not run one)."""
    from web.app import create_app
    from web.scheduler import run_blocking

    with _errors():
        app = create_app({"SCHEDULER_ENABLED": True})
    click.echo(f"Rectiflow scheduler: firing due timers every {app.config['SCHEDULER_INTERVAL_SECONDS']}s")
    run_blocking(app)


def _parse_now(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        try:
            when = datetime.combine(date.fromisoformat(text), datetime.min.time())
        except ValueError:
            _fail(f"--now is not an ISO 8601 time: {text!r}")
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _cut(text: str, limit: int) -> str:
    out, width = "", 0
    for c in text:
        w = _width(c)
        if width + w > limit * 2 - 2:
            return out + "…"
        out, width = out + c, width + w
    return out


def _table(header: list[str], rows: list[list[str]]) -> None:
    """Print rows aligned for CJK text (wide characters take two columns)."""
    if not rows:
        click.echo("(none)")
        return
    widths = [max(_width(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        click.echo("  ".join(str(c) + " " * (widths[i] - _width(str(c))) for i, c in enumerate(row)).rstrip())


# Plan commands live in their own module, which builds on this one's Context: import it last.
from .plans import register as _register_plan_commands  # noqa: E402

_register_plan_commands(main)

if __name__ == "__main__":
    sys.exit(main())
