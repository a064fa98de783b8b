"""The JSON a ledger workbook carries: the ``_meta`` sheet's rounds and the ``problem_flags`` column.

Both are written by the export, but a workbook comes back from anyone: every value is
checked for its type, its range and whether a database can store it, so that a wrong
value is an error naming its cell instead of a traceback or a half-created round.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import date
from typing import Any

from openpyxl import Workbook

from ..models import RoundKind
from ..plans import MAX_GROUP, MAX_ROUND_TITLE, MAX_SIGNATORY, MAX_SOURCE_NAME, MAX_UNIT_NAME
from .guard import WorkbookLimits, cell_problem, text_problem
from .layout import META_SHEET, ROUND_DATES

_META_COLUMNS = 66  # sheet, round_id and 64 chunks of 30,000 characters of JSON
_TEXT_FIELDS = {"title": MAX_ROUND_TITLE, "inspecting_group": MAX_GROUP, "signatory": MAX_SIGNATORY,
                "source_name": MAX_SOURCE_NAME}
_FLAG_MONTHS = {"lookback_months": (1, 36), "report_interval_months": (1, 12)}


def load_json(text: str) -> Any:
    """``json.loads`` that refuses NaN and Infinity and turns every failure into ``ValueError``."""
    def refuse(constant: str) -> Any:
        raise ValueError(f"non-standard constant {constant}")

    try:
        return json.loads(text, parse_constant=refuse)
    except RecursionError:  # a cell of "[[[[…": deeper than Python parses
        raise ValueError("nested too deeply") from None


def json_text_problem(value: Any) -> str | None:
    """Why a key or text inside a JSON value cannot be stored (NUL, lone surrogate), or ``None``."""
    stack = [value]
    while stack:  # a loop, not recursion: the value comes from a file
        item = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item, sys.maxsize)
            if problem:
                return problem
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
    return None


@dataclass
class MetaRow:
    """One round's metadata: where its JSON starts, and the parsed value or why it could not be read."""

    where: str
    meta: Any = None
    problem: str | None = None


def read_meta(workbook: Workbook, limits: WorkbookLimits) -> dict[str, MetaRow]:
    """The ``_meta`` sheet's rows by ledger sheet title (parsed, not yet checked)."""
    if META_SHEET not in workbook.sheetnames:
        return {}
    sheet = workbook[META_SHEET]
    metas: dict[str, MetaRow] = {}
    rows = sheet.iter_rows(min_row=2, max_row=min(sheet.max_row, limits.max_entries + 1),
                           max_col=min(sheet.max_column, _META_COLUMNS))
    for cells in rows:
        if len(cells) < 3 or not isinstance(title := cells[0].value, str | int | float):
            continue
        row = metas[str(title).strip()] = MetaRow(f"工作表“{META_SHEET}” {cells[2].coordinate}")
        chunks = []
        for cell in cells[2:]:
            problem = cell_problem(cell)
            if problem:
                row.problem = f"工作表“{META_SHEET}” {cell.coordinate}: {problem}"
                break
            if cell.value is not None:
                chunks.append(str(cell.value))
        if row.problem is None:
            try:
                row.meta = load_json("".join(chunks))
            except ValueError as exc:
                row.problem = f"{row.where}: 轮次信息（JSON）无法读取（{exc}）"
    return metas


def meta_problems(meta: Any) -> list[str]:
    """What is wrong in a round's metadata: wrong types, texts too long or unstorable, bad dates."""
    if not isinstance(meta, dict):
        return ["轮次信息应为 JSON 对象"]
    problems = []
    for name, limit in {**_TEXT_FIELDS, "inspected_unit": MAX_UNIT_NAME}.items():
        value = meta.get(name)
        if value is None:
            continue
        if not isinstance(value, str):
            problems.append(f"{name} 应为文本")
        elif problem := text_problem(value.strip(), limit):
            problems.append(f"{name} {problem}")
    for name in ("contacts", "sections"):
        value = meta.get(name)
        if value is None:
            continue
        if not isinstance(value, dict):
            problems.append(f"{name} 应为 JSON 对象")
        elif name == "contacts" and not all(isinstance(v, str) for v in value.values()):
            problems.append(f"{name} 的值应为文本")
        elif problem := json_text_problem(value):
            problems.append(f"{name} {problem}")
    days: dict[str, date] = {}
    for name in ROUND_DATES:
        value = meta.get(name)
        if value is None:
            continue
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            days[name] = date.fromisoformat(value)
        except ValueError:
            problems.append(f"{name} 不是日期（YYYY-MM-DD）：{str(value)[:40]}")
    if "period_start" in days and "period_end" in days and days["period_end"] < days["period_start"]:
        problems.append("period_end 早于 period_start")
    kind = meta.get("kind")
    if kind is not None and kind not in {k.value for k in RoundKind}:
        problems.append(f"kind 应为 {'、'.join(k.value for k in RoundKind)} 之一：{str(kind)[:20]}")
    return problems


def flag_problems(flags: Any) -> list[str]:
    """What is wrong in a row's ``problem_flags``: a JSON object of two booleans and two month counts."""
    if not isinstance(flags, dict):
        return ["应为 JSON 对象"]
    problems = []
    for name in ("long_term", "publishable"):
        if flags.get(name) is not None and not isinstance(flags[name], bool):
            problems.append(f"{name} 应为 true 或 false")
    for name, (low, high) in _FLAG_MONTHS.items():
        value = flags.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high):
            problems.append(f"{name} 应为 {low} 到 {high} 的整数")
    return problems
