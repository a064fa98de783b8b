"""Reading an edited ledger workbook back: every sheet validated (all problems raised at once in one
``LedgerValidationError``; nothing written unless the whole workbook is valid), then applied and audited.
The workbook may come from anyone: it is opened within limits (``WorkbookLimits``); in the applied columns
a formula, an error value (``#REF!``), text no database can store or a value of the wrong type is an error
naming its sheet and cell, never a traceback or a silently cleared deadline. Merged cells read top-left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO, Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from engine import Actor, NotFound, WorkflowEngine
from engine.audit import record

from ..deadline_changes import record_change
from ..errors import ValidationError
from ..models import DeadlineSource, InspectionRound, Measure, Part, Person, Problem, RoundKind, Unit
from ..people import unit_by_name
from ..plan_import import find_or_create_unit, find_person, split_units
from ..plans import (
    LIFECYCLE_PROCESS,
    MAX_DEADLINE_TEXT,
    MAX_ROUND_TITLE,
    add_measure,
    add_part,
    add_problem,
    create_round,
    launch,
)
from .guard import WorkbookLimits, cell_problem, open_workbook, sheet_rows, text_problem
from .layout import HEADER, KEY_HEADER, META_SHEET, ROUND_DATES
from .meta import MetaRow, flag_problems, load_json, meta_problems, read_meta
from .values import cell_text, read_deadline

# the columns an import applies (方面 … 整改时限); 序号 and the status columns are output only
EDITABLE = range(1, 8)
_MAX_ID = 2**31 - 1  # an integer key on PostgreSQL


class LedgerValidationError(ValidationError):
    """A workbook that cannot be imported; ``errors`` lists every row and column at fault."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__(f"台账有 {len(errors)} 处错误，未导入任何内容：" + "；".join(errors))


@dataclass
class LedgerImportResult:
    """Rounds created and rounds updated by an import, with the number of measures changed."""

    created: list[InspectionRound] = field(default_factory=list)
    updated: list[InspectionRound] = field(default_factory=list)
    changed_measures: int = 0
    launched: int = 0
    warnings: list[str] = field(default_factory=list)


@dataclass
class _Row:
    """One validated measure row."""

    no: int
    part: str
    problem: str
    measure: str
    leader: Person | None
    lead_unit: Unit | None
    units: list[Unit]
    deadline: date | None
    deadline_text: str | None
    keys: dict[str, int]
    flags: dict[str, Any]


@dataclass
class _Sheet:
    """One ledger sheet: its heading, its rows, the round it updates (if keyed) and metadata."""

    title: str
    heading: str
    heading_problem: str | None  # why the heading cannot be a round's title, if it must be one
    rows: list[_Row]
    round_id: int | None
    meta: dict[str, Any] = field(default_factory=dict)


class _Reader:
    """Reads and validates every sheet, collecting all errors before anything is written."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.errors: list[str] = []
        self.people: dict[str, Person | None] = {}
        self.units: dict[str, Unit | None] = {}
        self.where = ""
        self.reported: set[str] = set()

    def error(self, no: int | None, column: str | None, message: str) -> None:
        at = f"第{no}行 " if no is not None else ""
        self.errors.append(f"{self.where}{at}{column + ': ' if column else ''}{message}")

    def cell_error(self, cell: Cell, column: str, message: str) -> None:
        """An error at a cell, named by sheet and A1 reference (once, even if merged over rows)."""
        where = f"工作表“{cell.parent.title}” {cell.coordinate}"
        if where not in self.reported:
            self.reported.add(where)
            self.errors.append(f"{where}（{column}）: {message}")

    def sheet(self, sheet: Worksheet, as_new: bool, limits: WorkbookLimits) -> _Sheet | None:
        cells = list(sheet_rows(sheet, limits.max_rows, limits.max_columns))
        grid = [[cell.value for cell in row] for row in cells]
        found = (i for i, r in enumerate(grid[:5]) if [cell_text(v) for v in r[:len(HEADER)]] == HEADER)
        header_at = next(found, None)
        if header_at is None:
            self.error(None, None, f"不是台账格式：找不到表头（{'、'.join(HEADER)}）")
            return None
        names = [cell_text(v) for v in grid[header_at]]
        keys = {name: names.index(name) for name in KEY_HEADER if name in names}
        # the title above the header, else the sheet's name: the new round's title if _meta has none
        title_cell = next((c for r in cells[:header_at] for c in r if cell_text(c.value)), None)
        heading = cell_text(title_cell.value) if title_cell else sheet.title
        problem = (cell_problem(title_cell) if title_cell else None) or text_problem(heading, MAX_ROUND_TITLE)
        at = title_cell.coordinate if title_cell else "（工作表名称）"
        heading_problem = f"工作表“{sheet.title}” {at}（标题）: {problem}" if problem else None
        width = len(HEADER) + len(KEY_HEADER)
        ignored = ("round_id", "measure_id") if as_new else ()
        read = [*EDITABLE, *(i for name, i in keys.items() if name not in ignored)]
        rows, measure_rows = [], 0
        for no, (row_cells, values) in enumerate(zip(cells[header_at + 1:], grid[header_at + 1:], strict=True),
                                                 start=header_at + 2):
            values += [None] * (width - len(values))
            if not any(cell_text(values[i]) for i in EDITABLE):
                continue
            measure_rows += 1
            faults = [(cell, names[i], problem) for i in read if i < len(row_cells)
                      if (problem := cell_problem(cell := row_cells[i]))]
            for cell, column, problem in faults:
                self.cell_error(cell, column, problem)
            if not faults:
                rows.append(self.row(no, values, keys, as_new))
        if not measure_rows:
            self.error(None, None, "没有任何措施行")
        round_ids = {r.keys["round_id"] for r in rows if "round_id" in r.keys}
        return _Sheet(sheet.title, heading, heading_problem, rows, self.check_keys(rows, round_ids))

    def row(self, no: int, values: list[Any], keys: dict[str, int], as_new: bool) -> _Row:
        text = {name: cell_text(values[i]) for i, name in enumerate(HEADER)}
        for column in ("方面", "问题", "整改措施"):
            if not text[column]:
                self.error(no, column, "不能为空")
        hidden = {name: values[i] for name, i in keys.items()}
        key_ids: dict[str, int] = {}
        # as new, a row keeps only its problem key: it groups the rows, it points to nothing
        for name in KEY_HEADER[1:2] if as_new else KEY_HEADER[:3]:
            raw = cell_text(hidden.get(name))
            number = re.fullmatch(r"(\d{1,10})(\.0)?", raw)
            if number and 0 < int(number.group(1)) <= _MAX_ID:
                key_ids[name] = int(number.group(1))
            elif raw:
                self.error(no, name, f"不是有效的编号 \"{raw[:40]}\"")
        try:
            flags = load_json(cell_text(hidden.get("problem_flags")) or "{}")
        except ValueError:
            flags = None
        for problem in flag_problems(flags) if flags is not None else ["无法读取"]:
            self.error(no, "problem_flags", problem)
        deadline_text = cell_text(hidden.get("deadline_text")) or None
        try:
            deadline, deadline_text = read_deadline(values[7], deadline_text)
        except ValueError as exc:
            deadline = None
            self.error(no, "整改时限", str(exc))
        if deadline_text and len(deadline_text.strip()) > MAX_DEADLINE_TEXT:
            self.error(no, "整改时限", f"过长（最多 {MAX_DEADLINE_TEXT} 个字符）")
        leader = self.person(text["责任领导"]) if text["责任领导"] else None
        if text["责任领导"] and leader is None:
            name = text["责任领导"]
            self.error(no, "责任领导", f"未知的责任领导 \"{name}\"（请填姓名或登录名，重名时填登录名）")
        lead_unit = self.unit(no, "牵头单位", text["牵头单位"]) if text["牵头单位"] else None
        units = [u for name in split_units(text["责任单位"]) if (u := self.unit(no, "责任单位", name))]
        return _Row(no, text["方面"], text["问题"], text["整改措施"], leader, lead_unit, units,
                    deadline, deadline_text, key_ids, flags if isinstance(flags, dict) else {})

    def person(self, name: str) -> Person | None:
        if name not in self.people:
            self.people[name] = find_person(self.session, name)
        return self.people[name]

    def unit(self, no: int, column: str, name: str) -> Unit | None:
        if name not in self.units:
            self.units[name] = unit_by_name(self.session, name)
        if self.units[name] is None:
            self.error(no, column, f"未知的单位 \"{name}\"")
        return self.units[name]

    def check_keys(self, rows: list[_Row], round_ids: set[int]) -> int | None:
        """The round a keyed sheet updates, after checking every row's keys against it."""
        seen: dict[Any, _Row] = {}
        for row in rows:  # rows of one problem must agree on its title and part
            group = _problem_key(row)
            first = seen.setdefault(group, row)
            for column, value in (("方面", row.part), ("问题", row.problem)):
                if value != (first.part if column == "方面" else first.problem):
                    self.error(row.no, column, f"与第{first.no}行（同一问题）不一致")
        if not round_ids:
            return None
        round_id = min(round_ids)
        if len(round_ids) > 1 or self.session.get(InspectionRound, round_id) is None:
            self.error(None, "round_id", f"轮次编号无效：{'、'.join(map(str, sorted(round_ids)))}")
            return None
        # the round's measures with their problem and part in one query, not a lookup per row
        query = (select(Measure).join(Measure.problem).join(Problem.part).where(Part.round_id == round_id)
                 .options(contains_eager(Measure.problem).contains_eager(Problem.part)))
        in_round = {m.id: m for m in self.session.scalars(query).unique()}
        measures: set[int] = set()
        for row in rows:
            measure = in_round.get(row.keys["measure_id"]) if "measure_id" in row.keys else None
            if measure is None:
                self.error(row.no, "measure_id", f"不是轮次 {round_id} 的措施（新增措施请在系统中添加）")
            elif row.keys.get("problem_id") != measure.problem_id:
                self.error(row.no, "problem_id", f"与措施 {measure.id} 所属的问题不符")
            elif measure.id in measures:
                self.error(row.no, "measure_id", f"措施 {measure.id} 出现了不止一次")
            else:
                measures.add(measure.id)
        return round_id


def import_ledger(session: Session, engine: WorkflowEngine, path_or_stream: str | Path | IO[bytes], *,
                  actor: Actor, at: datetime, as_new: bool = False,
                  limits: WorkbookLimits = WorkbookLimits()) -> LedgerImportResult:  # noqa: B008 (frozen: shareable)
    """Apply a ledger workbook: sheets with keys update their round, sheets without create one.

    ``as_new`` ignores the keys, so that an exported workbook becomes a new round (in this or
    another database). New rounds are launched. Raises ``ValidationError`` for a file that is
    not a workbook or exceeds ``limits``, and ``LedgerValidationError`` with every error found
    in its cells, before anything is written. Only flushes.
    """
    sheets = read_ledger(session, engine, path_or_stream, as_new=as_new, limits=limits)
    return apply_ledger(session, engine, sheets, actor=actor, at=at)


def read_ledger(session: Session, engine: WorkflowEngine, path_or_stream: str | Path | IO[bytes], *,
                as_new: bool = False, limits: WorkbookLimits = WorkbookLimits()) -> list[_Sheet]:  # noqa: B008
    """Validate a workbook as ``import_ledger`` does and return its sheets; writes nothing (a dry run)."""
    workbook = open_workbook(path_or_stream, limits)
    metas = read_meta(workbook, limits)
    ledgers = [ws for ws in workbook.worksheets if ws.title != META_SHEET]
    reader = _Reader(session)
    sheets, rows_left = [], limits.max_rows
    for ws in ledgers:
        reader.where = f"工作表“{ws.title}” " if len(ledgers) > 1 else ""
        if ws.max_row > rows_left:  # counted before reading: reading a sheet creates its empty cells
            reader.error(None, None, f"行数过多（整个工作簿最多读取 {limits.max_rows:,} 行）")
            break
        rows_left -= ws.max_row
        if (sheet := reader.sheet(ws, as_new, limits)) is not None:
            sheets.append(sheet)
    reader.where = ""
    for sheet in sheets:
        if sheet.round_id is None:
            sheet.meta = _new_round_meta(reader, sheet, metas.get(sheet.title))
    if any(sheet.round_id is None for sheet in sheets):
        try:
            engine.latest_definition(session, LIFECYCLE_PROCESS)
        except NotFound:
            reader.error(None, None, f"流程“{LIFECYCLE_PROCESS}”尚未部署，无法启动新的整改方案")
    if not ledgers:
        reader.error(None, None, "工作簿中没有台账工作表")
    if reader.errors:
        raise LedgerValidationError(reader.errors)
    return sheets


def apply_ledger(session: Session, engine: WorkflowEngine, sheets: list[_Sheet], *, actor: Actor,
                 at: datetime) -> LedgerImportResult:
    """Write what ``read_ledger`` validated, all or nothing. Only flushes."""
    result = LedgerImportResult()
    with session.begin_nested():  # all or nothing, even if a write fails after validation
        for sheet in sheets:
            if sheet.round_id is None:
                _create(session, engine, sheet, result, actor=actor, at=at)
            else:
                _update(session, sheet, result, actor=actor, at=at)
        # Audited, and so seen by what watches the audit log (the ledger page's memo).
        record(session, at=at, actor=actor.key, action="ledger_imported", detail={"changed": result.changed_measures,
               "created": [r.id for r in result.created], "updated": [r.id for r in result.updated]})
    return result


def _new_round_meta(reader: _Reader, sheet: _Sheet, row: MetaRow | None) -> dict[str, Any]:
    """The checked metadata of the round a sheet creates; problems are reported to ``reader``."""
    meta: dict[str, Any] = {}
    if row is not None and row.problem:
        reader.errors.append(row.problem)
    elif row is not None:
        problems = meta_problems(row.meta)
        reader.errors.extend(f"{row.where}（{sheet.title} 的轮次信息）: {problem}" for problem in problems)
        meta = row.meta if not problems else {}
    title = meta.get("title")
    if not (isinstance(title, str) and title.strip()) and sheet.heading_problem:
        reader.errors.append(sheet.heading_problem)
    return meta


def _create(session: Session, engine: WorkflowEngine, sheet: _Sheet, result: LedgerImportResult, *,
            actor: Actor, at: datetime) -> None:
    meta = sheet.meta
    day = {k: date.fromisoformat(v) if isinstance(v := meta.get(k), str) else None for k in ROUND_DATES}
    unit_name = (meta.get("inspected_unit") or "").strip()
    round_ = create_round(
        session, title=(meta.get("title") or "").strip() or sheet.heading, at=at,
        inspecting_group=meta.get("inspecting_group"),
        inspected_unit=find_or_create_unit(session, unit_name) if unit_name else None,
        signatory=meta.get("signatory"), contacts=meta.get("contacts") or {},
        sections=meta.get("sections") or {}, source_name=meta.get("source_name"),
        kind=RoundKind(meta.get("kind") or RoundKind.LOCAL_INSPECTION), **day)  # type: ignore[arg-type]
    parts: dict[str, Part] = {}
    problems: dict[Any, Problem] = {}
    groups: dict[Any, list[_Row]] = {}
    for row in sheet.rows:
        groups.setdefault(_problem_key(row), []).append(row)
    for row in sheet.rows:
        group = _problem_key(row)
        problem = problems.get(group)
        if problem is None:
            part = parts.get(row.part) or parts.setdefault(row.part, add_part(session, round_, row.part))
            mine = groups[group]
            problem = problems[group] = add_problem(
                session, part, row.problem, long_term=row.flags.get("long_term") is True,
                lookback_months=row.flags.get("lookback_months") or 6,
                report_interval_months=row.flags.get("report_interval_months") or 1,
                publishable=row.flags.get("publishable") is not False,
                leader=_shared([r.leader for r in mine]), lead_unit=_shared([r.lead_unit for r in mine]),
            )
        add_measure(session, problem, row.measure, deadline=row.deadline, deadline_text=row.deadline_text,
                    leader=row.leader if row.leader is not problem.responsible_leader else None,
                    lead_unit=row.lead_unit if row.lead_unit is not problem.lead_unit else None,
                    units=row.units)
    result.launched += launch(session, engine, round_, actor)
    result.created.append(round_)


def _problem_key(row: _Row) -> Any:
    """What groups a sheet's rows into problems: the problem key, else the part and problem titles."""
    return row.keys.get("problem_id") or (row.part, row.problem)


def _shared(values: list[Any]) -> Any:
    return values[0] if values and all(v is values[0] for v in values) else None


def _update(session: Session, sheet: _Sheet, result: LedgerImportResult, *, actor: Actor, at: datetime) -> None:
    round_ = session.get(InspectionRound, sheet.round_id)
    assert round_ is not None  # checked while reading
    running: set[str] = set()
    for row in sheet.rows:
        measure = session.get(Measure, row.keys["measure_id"])
        assert measure is not None
        problem = measure.problem
        # a new deadline is a change with its history (台账导入), by the importing actor
        changed = record_change(session, measure, row.deadline, source=DeadlineSource.LEDGER_IMPORT,
                                actor=actor.key, at=at) is not None
        for obj, attr, value in (
            (problem.part, "title", row.part), (problem, "title", row.problem),
            (measure, "text", row.measure), (measure, "deadline_text", row.deadline_text),
        ):
            if getattr(obj, attr) != value:
                setattr(obj, attr, value)
                changed = True
        owners_before = (measure.responsible_leader or problem.responsible_leader,
                         measure.lead_unit or problem.lead_unit, [u.id for u in measure.responsible_units])
        if owners_before[0] is not row.leader:
            measure.responsible_leader = row.leader
        if owners_before[1] is not row.lead_unit:
            measure.lead_unit = row.lead_unit
        if owners_before[2] != [u.id for u in row.units]:
            measure.responsible_units = row.units
        changed = changed or owners_before != (row.leader, row.lead_unit, [u.id for u in row.units])
        if changed:
            result.changed_measures += 1
            if problem.instance_id is not None:
                running.add(f"{problem.part.ordinal}.{problem.ordinal}")
    if running:
        result.warnings.append(
            f"{round_.title}: problem(s) {', '.join(sorted(running))} already run; the plan and the ledger "
            "show the new values, the running lifecycles keep the owners and deadlines they started with"
        )
    session.flush()
    result.updated.append(round_)
