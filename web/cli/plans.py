"""Plan commands: ``import-plan`` (a plan or progress report into rounds and lifecycles), ``fill-in``
(deadlines and owners of a measure) and ``report`` (the published progress report)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from web.services import Services
from workflows.deadlines import china_date, parse_date
from workflows.people_accounts import office_actor
from workflows.plan_import import ParsedPlan, fill_in, import_plan, parse_file, round_kind, round_title
from workflows.report import build_report, render_html, render_markdown, render_text, write_docx

from .app_context import pass_services, setting
from .failures import fail, failures
from .rounds import chosen_round

PROGRESS_PROBLEMS = 50
FORMATS = {".html": "html", ".htm": "html", ".md": "md", ".docx": "docx", ".txt": "txt"}


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
    if parsed.doubtful:
        click.echo(f"doubtful lines ({len(parsed.doubtful)}):")
        for line in parsed.doubtful:
            text = line.text if len(line.text) <= 40 else line.text[:39] + "…"
            click.echo(f"  line {line.lineno}: {text}  ({line.reason})")
    if parsed.empty_note():
        click.echo(parsed.empty_note())
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
@pass_services
def import_plan_command(found: Services, file: Path, dry_run: bool, as_json: bool, no_launch: bool,
                        login: str) -> None:
    """Import a plan or progress report (.txt, .docx, or an office's own .xlsx ledger) and launch its lifecycles."""
    with failures():
        parsed = parse_file(file, docx_max_xml_bytes=setting("DOCX_MAX_XML_BYTES"))
    if dry_run:
        if as_json:
            click.echo(json.dumps({**parsed.to_json_dict(), "round_kind": round_kind(parsed)}, ensure_ascii=False,
                                  indent=2))
        else:
            print_tree(parsed)
        return
    engine, launch_it = found.workflow_engine, not no_launch
    with failures(), found.unit_of_work() as session:
        actor, now = office_actor(session, login), engine.clock()
        if launch_it and parsed.problem_count > PROGRESS_PROBLEMS and not as_json:
            with click.progressbar(length=parsed.problem_count, label="launching lifecycles") as bar:
                result = import_plan(session, engine, parsed, actor=actor, at=now, progress=bar.update)
        else:
            result = import_plan(session, engine, parsed, actor=actor, at=now, launch_it=launch_it)
        round_id, title = result.round.id, result.round.title
    if as_json:
        counts = parsed.to_json_dict()["counts"]
        summary = {"round": round_id, "title": title, "launched": result.launched, "warnings": result.warnings,
                   **counts}
        click.echo(json.dumps(summary, ensure_ascii=False, indent=2))
        return
    for warning in [*result.warnings, *filter(None, [parsed.empty_note()])]:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"round {round_id}: {title} ({result.launched} lifecycles launched)")
    click.echo(parsed.summary_line())


@click.command("fill-in")
@click.argument("number")
@click.option("--deadline", help="整改时限 as YYYY-MM-DD")
@click.option("--leader", "leader_login", help="login of the responsible leader")
@click.option("--lead-unit", help="name of the lead unit")
@click.option("--units", help='names of the responsible units, e.g. "办公室、综治科"')
@click.option("--reason", help="why the deadline is entered or changed (kept in its history)")
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--user", "login", default="admin", show_default=True, help="who changes the plan (for the audit log)")
@pass_services
def fill_in_command(found: Services, number: str, deadline: str | None, leader_login: str | None,
                    lead_unit: str | None, units: str | None, reason: str | None, round_id: int | None,
                    login: str) -> None:
    """Fill in the deadline, leader or units of measure NUMBER (part.problem.measure, e.g. 3.2.1).

    A changed deadline is kept in the measure's history (补录), shown by ``ledger --history``.
    """
    with failures(), found.unit_of_work() as session:
        due = parse_date(deadline) if deadline else None
        result = fill_in(session, chosen_round(session, round_id), number, deadline=due,
                         leader_login=leader_login, lead_unit=lead_unit, units=units, reason=reason,
                         engine=found.workflow_engine, actor=office_actor(session, login))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"measure {number}: {', '.join(result.changed)}")


@click.command("report")
@click.option("--format", "fmt", type=click.Choice(["html", "md", "docx", "txt"]),
              help="default: from the output file's suffix")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--date", "date_text", help="the report's date, YYYY-MM-DD (default: today)")
@pass_services
def report_command(found: Services, fmt: str | None, output: Path, round_id: int | None,
                   date_text: str | None) -> None:
    """Write the published progress report (整改进展情况) of a round."""
    fmt = fmt or FORMATS.get(output.suffix.lower())
    if fmt is None:
        fail(f"cannot tell the format from '{output.name}': give --format")
    with failures(), found.unit_of_work() as session:
        on: date = parse_date(date_text) if date_text else china_date(found.workflow_engine.clock())
        report = build_report(session, chosen_round(session, round_id), on=on)
        if fmt == "docx":
            write_docx(report, output)
        else:
            render = {"html": render_html, "md": render_markdown, "txt": render_text}[fmt]
            output.write_text(render(report), encoding="utf-8")
    stats = report.stats
    click.echo(f"{output}: {stats.parts} parts, {stats.problems} problems, {stats.measures} measures, "
               f"{stats.completed} completed ({stats.rate}%)")


COMMANDS = [import_plan_command, fill_in_command, report_command]
