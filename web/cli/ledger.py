"""Ledger commands: ``ledger`` (the 台账 on screen), ``export-ledger`` and ``import-ledger`` (Excel)."""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy import select

from web.config import warning_window_days
from web.services import Services
from workflows.deadlines import china_date
from workflows.ledger import (
    LedgerRow,
    LedgerValidationError,
    deadline_history_text,
    export_ledger,
    import_ledger,
    ledger_rows,
    reopen_text,
    row_json,
)
from workflows.models import InspectionRound
from workflows.people_accounts import office_actor
from workflows.plans import get_round
from workflows.warnings import COLOUR_WORDS, DONE_WORD, WarningColour, warning_text

from .app_context import pass_services
from .failures import fail, failures
from .rounds import chosen_round
from .tables import cut, table

PROGRESS_ROWS = 200
FLAG_MARK = "【挂牌】"  # before a flagged problem's title (挂牌督办)


@click.command()
@click.argument("numbers", nargs=-1)
@click.option("--round", "round_id", type=int, help="round id (default: the newest)")
@click.option("--history", is_flag=True, help="also print every deadline change under the table")
@click.option("--json", "as_json", is_flag=True, help="print the rows as one JSON document")
@pass_services
def ledger(found: Services, numbers: tuple[str, ...], round_id: int | None, history: bool, as_json: bool) -> None:
    """Print the ledger (台账): problems and measures with status; NUMBERS (2, 2.1, 2.1.1) narrow it
    to those parts, problems or measures.

    整改时限 is the current deadline; 原定时限 the plan's first one where it moved. 预警 is the
    measure's warning today: 红 overdue, 黄 within WARNING_WINDOW_DAYS of its deadline, 绿 before,
    蓝 long-term, 已完成 once done. 【挂牌】 marks a problem flagged by supervision (挂牌督办), listed
    under the table with its 督办时限. Reopened problems (反弹重启, 核实未通过) are listed too, with
    who decided and why.
    """
    with failures(), found.unit_of_work() as session:
        now, window = found.workflow_engine.clock(), warning_window_days()
        round_ = chosen_round(session, round_id)
        rows = [r for r in ledger_rows(session, round_, now=now, window_days=window) if _wanted(r.number, numbers)]
        title, shown_round = round_.title, round_.id
    if numbers and not rows:
        fail(f"round {shown_round} has no part, problem or measure numbered {' or '.join(numbers)}")
    if as_json:
        document = {"round": {"id": shown_round, "title": title}, "at": now.isoformat(), "window_days": window,
                    "rows": [row_json(r) for r in rows]}
        click.echo(json.dumps(document, ensure_ascii=False, indent=2))
        return
    click.echo(title)
    table(
        ["序号", "问题", "问题状态", "整改措施", "整改时限", "预警", "原定时限", "措施状态"],
        [[r.number, cut((FLAG_MARK if r.flag else "") + r.problem, 14), r.problem_status.value, cut(r.measure, 22),
          r.deadline.isoformat() if r.deadline else r.deadline_text, warning_text(r.warning), _original(r),
          r.status.value] for r in rows],
    )
    _warning_summary(rows, now)
    _flag_lines(rows)
    reopened = {r.problem_number: reopen_text(r.reopen) for r in rows if r.reopen}
    if reopened:
        click.echo("\n重启整改：")
        for number, text in reopened.items():
            click.echo(f"  {number}  {text}")
    changed = [(r.number, deadline_history_text(r)) for r in rows if r.deadline_history] if history else []
    if changed:
        click.echo("\n时限调整：")
        for number, text in changed:
            click.echo(f"  {number}  {text}")


def _warning_summary(rows: list[LedgerRow], now: datetime) -> None:
    """How many measures are of each colour, then the problems that are red or yellow."""
    if not rows:
        return
    counts = Counter(COLOUR_WORDS[r.warning.colour] if r.warning else DONE_WORD for r in rows)
    shown = "，".join(f"{word} {counts[word]}" for word in (*COLOUR_WORDS.values(), DONE_WORD) if counts[word])
    click.echo(f"\n措施预警（{china_date(now).isoformat()}）：{shown}")
    problems = {r.problem_number: r for r in rows}.values()
    urgent = [r for r in problems if r.problem_warning is not None
              and r.problem_warning.colour in (WarningColour.RED, WarningColour.YELLOW)]
    if urgent:
        click.echo("问题预警：")
        for r in urgent:
            click.echo(f"  {r.problem_number}  {warning_text(r.problem_warning)}  {cut(r.problem, 30)}")


def _flag_lines(rows: list[LedgerRow]) -> None:
    """The flagged problems (挂牌督办) among ``rows``: 督办时限, its colour, reason, who and when."""
    flagged = {r.problem_number: r.flag for r in rows if r.flag is not None}
    if flagged:
        click.echo("\n挂牌督办：")
        for number, flag in flagged.items():
            click.echo(f"  {number}  督办时限{flag.deadline.isoformat()}  {warning_text(flag.warning)}  "
                       f"{flag.reason}（{flag.by}，{china_date(flag.at).isoformat()}挂牌）")


def _wanted(number: str, prefixes: tuple[str, ...]) -> bool:
    return not prefixes or any(number == p or number.startswith(p.rstrip(".") + ".") for p in prefixes)


def _original(row: LedgerRow) -> str:
    """The plan's first deadline where it moved, else nothing."""
    if not row.deadline_note:
        return ""
    return row.original_deadline.isoformat() if row.original_deadline else "未定"


@click.command("export-ledger")
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="the .xlsx file to write")
@click.option("--round", "round_id", type=int, help="only this round (default: every round)")
@pass_services
def export_ledger_command(found: Services, output: Path, round_id: int | None) -> None:
    """Write the ledger (台账) to an Excel workbook, one sheet per round, with each measure's warning
    colour today (预警) and the problem's flag (挂牌督办)."""
    with failures(), found.unit_of_work() as session:
        now, window = found.workflow_engine.clock(), warning_window_days()
        if round_id is not None:
            rounds = [get_round(session, round_id)]
        else:
            rounds = list(session.scalars(select(InspectionRound).order_by(InspectionRound.id)))
        total = sum(len(p.measures) for r in rounds for part in r.parts for p in part.problems)
        if total > PROGRESS_ROWS:
            with click.progressbar(length=total, label="writing ledger rows") as bar:
                written = export_ledger(session, rounds, output, progress=bar.update, now=now, window_days=window)
        else:
            written = export_ledger(session, rounds, output, now=now, window_days=window)
    click.echo(f"{output}: {len(rounds)} round(s), {written} row(s)")


@click.command("import-ledger")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--as-new", is_flag=True, help="ignore the keys: create new rounds instead of updating")
@click.option("--user", "login", default="admin", show_default=True, help="who imports (for the audit log)")
@pass_services
def import_ledger_command(found: Services, file: Path, as_new: bool, login: str) -> None:
    """Apply an edited ledger workbook: update the plans it came from, or create new ones."""
    engine = found.workflow_engine
    with failures():
        try:
            with found.unit_of_work() as session:
                result = import_ledger(session, engine, file, actor=office_actor(session, login),
                                       at=engine.clock(), as_new=as_new)
                lines = [f"created round {r.id}: {r.title}" for r in result.created]
                lines += [f"updated round {r.id}: {r.title}" for r in result.updated]
        except LedgerValidationError as exc:  # every error listed, before failures() makes it one line
            for error in exc.errors:
                click.echo(error, err=True)
            fail(f"{len(exc.errors)} error(s) in {file.name}; nothing was imported")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    for line in lines:
        click.echo(line)
    click.echo(f"measures changed: {result.changed_measures}  lifecycles launched: {result.launched}")


COMMANDS = [ledger, export_ledger_command, import_ledger_command]
