"""Writing the ledger workbook: one sheet per round and the hidden ``_meta`` sheet."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..deadlines import CHINA
from ..errors import ValidationError
from ..models import InspectionRound, Person
from ..models import ProblemStatus as S
from .cells import REPLACEMENT, write_cell, xml_text
from .layout import (
    DATE_FORMAT,
    HEADER,
    HEADER_ROW,
    KEY_HEADER,
    META_SHEET,
    PROBLEM_PHASES,
    ROUND_DATES,
    ROUND_FIELDS,
    STATUS_FILL,
    TITLE_ROW,
    WIDTHS,
)
from .view import LedgerRow, ledger_rows

_JSON_CHUNK = 30000  # a cell holds at most 32,767 characters
_THIN = Side(style="thin", color="BFBFBF")
_BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)


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
) -> int:
    """Write one sheet per round to an .xlsx file or binary stream; returns the number of rows.

    ``progress`` is called with 1 after each row.
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
        rows = ledger_rows(session, round_)
        _write_sheet(sheet, round_, rows, ambiguous, progress)
        written += len(rows)
        text = json.dumps(round_meta(round_), ensure_ascii=False)
        meta_rows.append([sheet.title, round_.id,
                          *(text[i:i + _JSON_CHUNK] for i in range(0, len(text), _JSON_CHUNK))])
    meta = workbook.create_sheet(META_SHEET)
    # a JSON chunk may start with "=" or "-" and a sheet title with "@": text cells, like the rest
    for r, row in enumerate([["sheet", "round_id", "round (JSON)"], *meta_rows], start=1):
        for col, value in enumerate(row, start=1):
            write_cell(meta, r, col, value)
    meta.sheet_state = "hidden"
    workbook.active = 0
    workbook.save(path_or_stream)  # type: ignore[arg-type]
    return written


def _ambiguous_names(session: Session) -> set[str]:
    """Names borne by more than one person: such leaders are written as their login."""
    query = select(Person.name).group_by(Person.name).having(func.count() > 1)
    return set(session.scalars(query))


def _write_sheet(
    sheet: Worksheet, round_: InspectionRound, rows: list[LedgerRow], ambiguous: set[str],
    progress: Callable[[int], None] | None,
) -> None:
    measures = {m.id: m for part in round_.parts for p in part.problems for m in p.measures}
    width = len(HEADER)
    write_cell(sheet, TITLE_ROW, 1, round_.title).font = Font(bold=True, size=14)
    sheet.cell(TITLE_ROW, 1).alignment = Alignment(horizontal="center", vertical="center")
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    sheet.row_dimensions[TITLE_ROW].height = 28
    for col, name in enumerate(HEADER + KEY_HEADER, start=1):
        cell = write_cell(sheet, HEADER_ROW, col, name)
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="D9E1F2")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = _BORDER
    for r, row in enumerate(rows, start=HEADER_ROW + 1):
        measure = measures[row.measure_id]
        problem = measure.problem
        leader = measure.responsible_leader or problem.responsible_leader
        status = shown_status(row)
        flags = {"long_term": problem.long_term, "publishable": problem.publishable,
                 "lookback_months": problem.lookback_months,
                 "report_interval_months": problem.report_interval_months}
        values: list[Any] = [
            row.number, row.part, row.problem, row.measure,
            (leader.login if leader.name in ambiguous else leader.name) if leader else None,
            row.lead_unit or None, row.responsible_units or None, row.deadline or measure.deadline_text,
            status.value, row.progress or None, row.evidence_count,
            row.updated_at.astimezone(CHINA).replace(tzinfo=None) if row.updated_at else None,
            round_.id, row.problem_id, row.measure_id, measure.deadline_text,
            json.dumps(flags, separators=(",", ":")),
        ]
        for col, value in enumerate(values, start=1):
            cell = write_cell(sheet, r, col, value)
            cell.alignment = Alignment(vertical="top", wrap_text=col in (2, 3, 4, 7, 10))
            if col <= width:
                cell.border = _BORDER
        if row.deadline:
            sheet.cell(r, 8).number_format = DATE_FORMAT
        sheet.cell(r, 12).number_format = "yyyy-mm-dd hh:mm"
        sheet.cell(r, 9).fill = PatternFill("solid", fgColor=STATUS_FILL.get(status, "FFFFFF"))
        if progress is not None:
            progress(1)
    for col, w in enumerate(WIDTHS, start=1):
        sheet.column_dimensions[get_column_letter(col)].width = w
    for col in range(width + 1, width + len(KEY_HEADER) + 1):
        sheet.column_dimensions[get_column_letter(col)].hidden = True
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(width)}{HEADER_ROW + max(len(rows), 1)}"
    sheet.page_setup.orientation = "landscape"
    sheet.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
