"""Command-line plan work: import a plan, fill in owners and deadlines, the ledger as Excel, reports.

``register(main)`` adds the commands to the ``rectiflow`` group; each command is one unit
of work (one commit), and every failure is a one-line message with a non-zero exit.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import click
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine import Actor
from workflows.deadlines import china_date, parse_date
from workflows.ledger import LedgerValidationError, export_ledger, import_ledger
from workflows.models import InspectionRound
from workflows.people import actor_for, person_by_login
from workflows.plan_import import ParsedPlan, fill_in, import_plan, parse_file, round_title
from workflows.plans import get_round
from workflows.report import build_report, render_html, render_markdown, render_text, write_docx

if TYPE_CHECKING:
    from web.cli import Context

PROGRESS_PROBLEMS = 50
PROGRESS_ROWS = 200
FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".docx": "docx", ".txt": "txt"}


@contextlib.contextmanager
def _failures() -> Iterator[None]:
    """Domain, engine, file and database errors as a one-line message and a non-zero exit."""
    from web.cli import _errors  # web.cli imports this module at its end: import it when running

    try:
        with _errors():
            yield
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        raise click.ClickException(f"{where}{exc.strerror or exc}") from None
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        missing = "no such table" in detail or "does not exist" in detail
        hint = " (run 'rectiflow init-db' first?)" if missing else ""
        raise click.ClickException(f"database error: {detail}{hint}") from None


def _context() -> Context:
    from web.cli import Context, database_url

    return Context(database_url())


def _docx_limit() -> int:
    """DOCX_MAX_XML_BYTES from the same settings as the web app (``RECTIFLOW_DOCX_MAX_XML_BYTES``)."""
    from web.config import ConfigError, load_config

    try:
        return int(load_config()["DOCX_MAX_XML_BYTES"])
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _actor(session: Session, login: str) -> Actor:
    """The person's actor when they exist; a bare actor with that key otherwise (for the audit log)."""
    person = person_by_login(session, login)
    return actor_for(person) if person is not None else Actor(login)


def _round(session: Session, round_id: int | None) -> InspectionRound:
    if round_id is not None:
        return get_round(session, round_id)
    round_ = session.scalar(select(InspectionRound).order_by(InspectionRound.id.desc()).limit(1))
    if round_ is None:
        raise click.ClickException("no inspection round yet: run 'rectiflow import-plan FILE' first")
    return round_


def print_tree(parsed: ParsedPlan) -> None:
    """The parsed plan as an indented tree, then unassigned lines and mismatches; the last line is
    ``parsed.summary_line()``."""
    click.echo(f"{parsed.source_name}: {round_title(parsed)}")
    for part in parsed.parts:
        click.echo(f"第{part.ordinal}部分 {part.title or '(no title)'}  [{len(part.problems)} problems]")
        for problem in part.problems:
            flag = "  长期" if problem.long_term else ""
            number = f"{part.ordinal}.{problem.ordinal}"
            click.echo(f"  {number} {problem.title}  [{len(problem.measures)} measures]{flag}")
    if parsed.unassigned:
        click.echo(f"unassigned lines ({len(parsed.unassigned)}):")
        for line in parsed.unassigned:
            text = line.text if len(line.text) <= 40 else line.text[:39] + "…"
            click.echo(f"  line {line.lineno}: {text}  ({line.reason})")
    mismatches = parsed.stats_mismatches()
    if mismatches:
        click.echo("stats mismatches:")
        for message in mismatches:
            click.echo(f"  {message}")
    click.echo(parsed.summary_line())


@click.command("import-plan")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="only parse and show the tree; change nothing")
@click.option("--json", "as_json", is_flag=True, help="print the result as one JSON document")
@click.option("--no-launch", is_flag=True, help="create the plan without starting the lifecycles")
@click.option("--user", "login", default="admin", show_default=True, help="who imports (for the audit log)")
def import_plan_command(file: Path, dry_run: bool, as_json: bool, no_launch: bool, login: str) -> None:
    """Import a rectification plan or progress report (.txt or .docx) and launch its lifecycles."""
    with _failures():
        parsed = parse_file(file, docx_max_xml_bytes=_docx_limit())
    if dry_run:
        if as_json:
            click.echo(json.dumps(parsed.to_json_dict(), ensure_ascii=False, indent=2))
        else:
            print_tree(parsed)
        return
    context = _context()
    launch_it = not no_launch
    with _failures(), context.unit_of_work() as session:
        actor, now, engine = _actor(session, login), context.workflow_engine.clock(), context.workflow_engine
        if launch_it and parsed.problem_count > PROGRESS_PROBLEMS and not as_json:
            with click.progressbar(length=parsed.problem_count, label="launching lifecycles") as bar:
                result = import_plan(session, engine, parsed, actor=actor, at=now, progress=bar.update)
        else:
            result = import_plan(session, engine, parsed, actor=actor, at=now, launch_it=launch_it)
        round_id, title = result.round.id, result.round.title
    if as_json:
        click.echo(
            json.dumps(
                {
                    "round": round_id,
                    "title": title,
                    "launched": result.launched,
                    "warnings": result.warnings,
                    **parsed.to_json_dict()["counts"],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"round {round_id}: {title} ({result.launched} lifecycles launched)")
    click.echo(parsed.summary_line())


@click.command("fill-in")
@click.argument("number")
@click.option("--deadline", help="整改时限 as YYYY-MM-DD")
@click.option("--leader", "leader_login", help="login of the responsible leader")
@click.option("--lead-unit", help="name of the lead unit")
@click.option("--units", help='names of the responsible units, e.g. "办公室、综治科"')
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--user", "login", default="admin", show_default=True, help="who changes the plan (for the audit log)")
def fill_in_command(
    number: str,
    deadline: str | None,
    leader_login: str | None,
    lead_unit: str | None,
    units: str | None,
    round_id: int | None,
    login: str,
) -> None:
    """Fill in the deadline, leader or units of measure NUMBER (part.problem.measure, e.g. 3.2.1)."""
    context = _context()
    with _failures(), context.unit_of_work() as session:
        due = parse_date(deadline) if deadline else None
        result = fill_in(
            session,
            _round(session, round_id),
            number,
            deadline=due,
            leader_login=leader_login,
            lead_unit=lead_unit,
            units=units,
            engine=context.workflow_engine,
            actor=_actor(session, login),
        )
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"measure {number}: {', '.join(result.changed)}")


@click.command("export-ledger")
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the .xlsx file to write",
)
@click.option("--round", "round_id", type=int, help="only this round (default: every round)")
def export_ledger_command(output: Path, round_id: int | None) -> None:
    """Write the ledger (台账) to an Excel workbook, one sheet per round."""
    context = _context()
    with _failures(), context.unit_of_work() as session:
        if round_id is not None:
            rounds = [get_round(session, round_id)]
        else:
            rounds = list(session.scalars(select(InspectionRound).order_by(InspectionRound.id)))
        total = sum(len(p.measures) for r in rounds for part in r.parts for p in part.problems)
        if total > PROGRESS_ROWS:
            with click.progressbar(length=total, label="writing ledger rows") as bar:
                written = export_ledger(session, rounds, output, progress=bar.update)
        else:
            written = export_ledger(session, rounds, output)
    click.echo(f"{output}: {len(rounds)} round(s), {written} row(s)")


@click.command("import-ledger")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-new", is_flag=True, help="ignore the keys: create new rounds instead of updating")
@click.option("--user", "login", default="admin", show_default=True, help="who imports (for the audit log)")
def import_ledger_command(file: Path, as_new: bool, login: str) -> None:
    """Apply an edited ledger workbook: update the plans it came from, or create new ones."""
    context = _context()
    with _failures():
        try:
            with context.unit_of_work() as session:
                result = import_ledger(session, context.workflow_engine, file, actor=_actor(session, login),
                                       at=context.workflow_engine.clock(), as_new=as_new)
                lines = [f"created round {r.id}: {r.title}" for r in result.created]
                lines += [f"updated round {r.id}: {r.title}" for r in result.updated]
        except LedgerValidationError as exc:  # before _errors() turns it into one line
            for error in exc.errors:
                click.echo(error, err=True)
            message = f"{len(exc.errors)} error(s) in {file.name}; nothing was imported"
            raise click.ClickException(message) from None
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for line in lines:
        click.echo(line)
    click.echo(f"measures changed: {result.changed_measures}  lifecycles launched: {result.launched}")


@click.command("report")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["html", "md", "docx", "txt"]),
    help="default: from the output file's suffix",
)
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--date", "date_text", help="the report's date, YYYY-MM-DD (default: today)")
def report_command(fmt: str | None, output: Path, round_id: int | None, date_text: str | None) -> None:
    """Write the published progress report (整改进展情况) of a round."""
    fmt = fmt or FORMATS.get(output.suffix.lower())
    if fmt is None:
        raise click.ClickException(f"cannot tell the format from '{output.name}': give --format")
    context = _context()
    with _failures(), context.unit_of_work() as session:
        on: date = parse_date(date_text) if date_text else china_date(context.workflow_engine.clock())
        report = build_report(session, _round(session, round_id), on=on)
        if fmt == "docx":
            write_docx(report, output)
        else:
            render = {"html": render_html, "md": render_markdown, "txt": render_text}[fmt]
            output.write_text(render(report), encoding="utf-8")
    stats = report.stats
    click.echo(
        f"{output}: {stats.parts} parts, {stats.problems} problems, {stats.measures} measures, "
        f"{stats.completed} completed ({stats.rate}%)"
    )


COMMANDS = [
    import_plan_command,
    fill_in_command,
    export_ledger_command,
    import_ledger_command,
    report_command,
]


def register(group: click.Group) -> None:
    """Add the plan commands to ``group``; calling it again changes nothing."""
    for command in COMMANDS:
        if group.commands.get(command.name or "") is not command:
            group.add_command(command)
