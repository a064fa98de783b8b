"""Writing the ledger workbook: one sheet per round and the hidden ``_meta`` sheet.

A round's sheet: the title, the header (``SHEET_HEADER``: the twelve columns an import
reads, then the output-only deadline history and reopening; exported at a given moment, also
``SUPERVISION_HEADER``: 预警 and 挂牌督办), one row per measure, and the hidden key columns
(``KEY_HEADER``). How it looks is ``sheet_style``.

The 预警 cell says the measure's warning as the command line does (``红（逾期3天）``, ``黄（剩5天）``,
``绿（剩40天）``, ``蓝（长期整改）``, ``已完成``; ``workflows.warnings.warning_text``) and is filled in
its colour (``layout.WARNING_FILL``, grey for 已完成); the 挂牌督办 cell gives the flag's 督办时限 and
reason, filled in the colour of that deadline.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import PatternFill
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..deadlines import CHINA
from ..errors import ValidationError
from ..models import InspectionRound, Measure, Person
from ..models import ProblemStatus as S
from ..warnings import DeadlineWarning, warning_text
from .cells import REPLACEMENT, write_cell, xml_text
from .history_text import deadline_history_text, reopen_text
from .layout import (
    DATE_FORMAT,
    DONE_FILL,
    HEADER_ROW,
    KEY_HEADER,
    META_SHEET,
    PROBLEM_PHASES,
    ROUND_DATES,
    ROUND_FIELDS,
    SHEET_HEADER,
    STATUS_FILL,
    SUPERVISION_HEADER,
    TITLE_ROW,
    WARNING_FILL,
)
from .sheet_style import fit_columns, set_up_pages, style_header, style_plain, style_row, style_title
from .view import LedgerRow, ledger_rows

_JSON_CHUNK = 30000  # a cell holds at most 32,767 characters
_COLUMN = {name: col for col, name in enumerate(SHEET_HEADER + SUPERVISION_HEADER, start=1)}


def sheet_title(title: str, used: set[str]) -> str:
    """A valid, unique (case-insensitively) sheet name of at most 31 characters."""
    base = re.sub(r"[\[\]:*?/\\]", "", xml_text(title).replace(REPLACEMENT, "")).strip().strip("'") or "台账"
    candidate, n = base[:31], 1
    while candidate.lower() in used:
        n += 1
        suffix = f"({n})"
        candidate = base[: 31 - len(suffix)] + suffix
    used.add(candidate.lower())
    return candidate


def round_meta(round_: InspectionRound) -> dict[str, Any]:
    """The round's own fields, as JSON-ready values, for the ``_meta`` sheet."""
    meta = {name: getattr(round_, name) for name in ROUND_FIELDS}
    meta.update({name: day.isoformat() if (day := getattr(round_, name)) else None for name in ROUND_DATES})
    meta["inspected_unit"] = round_.inspected_unit.name if round_.inspected_unit else None
    return meta


def shown_status(row: LedgerRow) -> S:
    """The status a ledger row shows: the problem's once it is past its measures, else the measure's."""
    return row.problem_status if row.problem_status in PROBLEM_PHASES else row.status


def export_ledger(
    session: Session,
    rounds: list[InspectionRound],
    path_or_stream: str | Path | IO[bytes],
    *,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
    window_days: int = 10,
    measure_ids: Collection[int] | None = None,
) -> int:
    """Write one sheet per round to an .xlsx file or binary stream; returns the number of rows.

    ``progress`` is called with 1 after each row. Given ``now`` (the engine's clock) and the
    warning window, each sheet also has the 预警 and 挂牌督办 columns as they stand at ``now``.
    Given ``measure_ids``, only those rows are written (a filtered or restricted view of the ledger).
    """
    if not rounds:
        raise ValidationError("there is no inspection round to export")
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    used = {META_SHEET.lower()}
    meta_rows: list[list[Any]] = []
    ambiguous = _ambiguous_names(session)
    written = 0
    for round_ in rounds:
        sheet = workbook.create_sheet(sheet_title(round_.title, used))
        rows = ledger_rows(session, round_, now=now, window_days=window_days)
        if measure_ids is not None:
            rows = [row for row in rows if row.measure_id in measure_ids]
        write_round_sheet(sheet, round_, rows, ambiguous, progress, supervision=now is not None)
        written += len(rows)
        text = json.dumps(round_meta(round_), ensure_ascii=False)
        meta_rows.append([sheet.title, round_.id,
                          *(text[i:i + _JSON_CHUNK] for i in range(0, len(text), _JSON_CHUNK))])
    meta = workbook.create_sheet(META_SHEET)
    # a JSON chunk may start with "=" or "-" and a sheet title with "@": text cells, like the rest
    for r, row in enumerate([["sheet", "round_id", "round (JSON)"], *meta_rows], start=1):
        for col, value in enumerate(row, start=1):
            write_cell(meta, r, col, value)
    style_plain(meta)
    meta.sheet_state = "hidden"
    workbook.active = 0
    workbook.save(path_or_stream)  # type: ignore[arg-type]
    return written


def _ambiguous_names(session: Session) -> set[str]:
    """Names borne by more than one person: such leaders are written as their login."""
    query = select(Person.name).group_by(Person.name).having(func.count() > 1)
    return set(session.scalars(query))


def write_round_sheet(
    sheet: Worksheet, round_: InspectionRound, rows: list[LedgerRow], ambiguous: Collection[str] = (),
    progress: Callable[[int], None] | None = None,
    *,
    supervision: bool = False,
) -> None:
    """Write ``round_``'s ledger ``rows`` to ``sheet``: title, header, one row per measure, then style it.

    Leaders whose name is in ``ambiguous`` are written as their login. ``progress`` is called
    with 1 after each row. ``supervision``: also the 预警 and 挂牌督办 columns (the rows were read
    with a ``now``).
    """
    measures = {m.id: m for part in round_.parts for p in part.problems for m in p.measures}
    header = SHEET_HEADER + SUPERVISION_HEADER if supervision else SHEET_HEADER
    visible, total = len(header), len(header) + len(KEY_HEADER)
    write_cell(sheet, TITLE_ROW, 1, round_.title)
    style_title(sheet, visible)
    for col, name in enumerate(header + KEY_HEADER, start=1):
        write_cell(sheet, HEADER_ROW, col, name)
    style_header(sheet, visible, total)
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        measure = measures[row.measure_id]
        status = shown_status(row)
        values = _row_values(round_, row, measure, ambiguous)
        if supervision:
            values[len(SHEET_HEADER):len(SHEET_HEADER)] = _supervision_values(row)
        for col, value in enumerate(values, start=1):
            write_cell(sheet, r, col, value)
        style_row(sheet, r, header, total)
        for col in (_COLUMN["整改时限"], _COLUMN["原定时限"]):
            if isinstance(sheet.cell(r, col).value, date):
                sheet.cell(r, col).number_format = DATE_FORMAT
        sheet.cell(r, _COLUMN["最近更新"]).number_format = "yyyy-mm-dd hh:mm"
        sheet.cell(r, _COLUMN["整改状态"]).fill = PatternFill("solid", fgColor=STATUS_FILL.get(status, "FFFFFF"))
        if supervision:
            sheet.cell(r, _COLUMN["预警"]).fill = _warning_fill(row.warning)
            if row.flag is not None:
                sheet.cell(r, _COLUMN["挂牌督办"]).fill = _warning_fill(row.flag.warning)
        if progress is not None:
            progress(1)
    last_row = HEADER_ROW + len(rows)
    fit_columns(sheet, header, HEADER_ROW + 1, last_row, len(KEY_HEADER))
    set_up_pages(sheet, visible, last_row)


def _row_values(round_: InspectionRound, row: LedgerRow, measure: Measure, ambiguous: Collection[str]) -> list[Any]:
    """The cells of one ledger row: the visible columns (``SHEET_HEADER``), then the keys (``KEY_HEADER``)."""
    problem = measure.problem
    leader = measure.responsible_leader or problem.responsible_leader
    flags = {"long_term": problem.long_term, "publishable": problem.publishable,
             "lookback_months": problem.lookback_months,
             "report_interval_months": problem.report_interval_months}
    moved = row.original_deadline if row.original_deadline != row.deadline else None
    return [
        row.number, row.part, row.problem, row.measure,
        (leader.login if leader.name in ambiguous else leader.name) if leader else None,
        row.lead_unit or None, row.responsible_units or None, row.deadline or measure.deadline_text,
        shown_status(row).value, row.progress or None, row.evidence_count,
        row.updated_at.astimezone(CHINA).replace(tzinfo=None) if row.updated_at else None,
        moved, deadline_history_text(row) or None, reopen_text(row.reopen) or None,
        round_.id, row.problem_id, row.measure_id, measure.deadline_text,
        json.dumps(flags, separators=(",", ":")),
    ]


def _supervision_values(row: LedgerRow) -> list[Any]:
    """The 预警 and 挂牌督办 cells of a row (``SUPERVISION_HEADER``)."""
    return [warning_text(row.warning), row.flag.text if row.flag is not None else None]


def _warning_fill(warning: DeadlineWarning | None) -> PatternFill:
    return PatternFill("solid", fgColor=WARNING_FILL[warning.colour.value] if warning is not None else DONE_FILL)
