"""The people sheet (人员名单): its template, and reading a filled-in one (.xlsx or .csv) into rows.

Columns are found by their header (登录名, 姓名, 单位, 角色, 手机, 邮箱; any order, extra
columns ignored, the header within the first five rows). An .xlsx is opened within the
ledger's workbook limits and no formula is evaluated: a cell holding a formula is reported,
not read. A .csv may be UTF-8 (with or without BOM), GB18030 (what Excel on Chinese Windows
saves) or UTF-16 with a BOM. Reading only reads: every value is checked by ``people_import``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill

from .errors import ValidationError
from .ledger import WorkbookLimits, cell_problem, open_workbook, sheet_rows

COLUMNS = ("登录名", "姓名", "单位", "角色", "手机", "邮箱")
REQUIRED = COLUMNS[:4]
ALIASES = {"账号": "登录名", "用户名": "登录名", "所在单位": "单位", "手机号": "手机", "手机号码": "手机",
           "联系电话": "手机", "电话": "手机", "电子邮箱": "邮箱", "电子邮件": "邮箱", "邮件": "邮箱"}
HEADER_ROWS = 5
MAX_ROWS = 10_000
MAX_CSV_BYTES = 5 * 1024 * 1024
LIMITS = WorkbookLimits(max_bytes=10 * 1024 * 1024, max_cells=200_000, max_rows=MAX_ROWS, max_columns=40)
FONT = "宋体"
WIDTHS = {"登录名": 16, "姓名": 12, "单位": 30, "角色": 22, "手机": 18, "邮箱": 30}
SHEET_TITLE = "人员"
HELP_TITLE = "说明"
HELP_LINES = [
    "人员名单导入说明（rectiflow people import 文件名）",
    "",
    "每行一人；第一行是表头，列的顺序可以调整，多余的列不导入。",
    "登录名（必填）：英文字母、数字和 . _ - @，以字母或数字开头，不能重复。已有的登录名会更新该人的信息，密码不变。",
    "姓名（必填）。",
    "单位：单位代码或单位全称，须已存在（rectiflow units list）；导入时加 --add-units 会自动新建不存在的单位。",
    "角色（必填）：经办人（责任人、联络员）、领导（分管领导、主要领导、责任领导）、督查（督查室）、管理员（系统管理员），"
    "也可写 officer、leader、supervision、admin；多个角色用顿号、逗号、分号、斜杠或空格分开。",
    "手机（选填）：5–20 个字符，只能有数字、+、- 和空格。",
    "邮箱（选填）：如 name@example.cn。",
    "新增人员的初始密码由系统生成，导入时只显示一次（或用 --passwords-out 写入文件）。",
    "请填写数值，不要使用公式；先用 --dry-run 检查，所有行都正确才会导入。",
]


@dataclass
class SheetRow:
    """One filled-in row: its spreadsheet row number (1-based, header counted), values by column,
    and problems found in its cells (a formula, an error value) before any value is checked."""

    no: int
    values: dict[str, str]
    problems: list[str] = field(default_factory=list)


def write_template(path: Path) -> None:
    """Write the empty people sheet: .xlsx (header, widths, a 说明 sheet) or .csv (header, UTF-8 with BOM)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with open(path, "w", encoding="utf-8-sig", newline="") as file:
            csv.writer(file).writerow(COLUMNS)
        return
    if suffix != ".xlsx":
        raise ValidationError(f"'{path.name}': the template is written as .xlsx or .csv")
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = SHEET_TITLE
    bold = Font(name=FONT, bold=True, size=11)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for column, title in enumerate(COLUMNS, start=1):
        cell = sheet.cell(1, column, title)
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center", vertical="center")
        letter = cell.column_letter
        sheet.column_dimensions[letter].width = WIDTHS[title]
        sheet.column_dimensions[letter].font = Font(name=FONT, size=11)
        sheet.column_dimensions[letter].number_format = "@"  # text: a phone number keeps its digits
    sheet.freeze_panes = "A2"
    notes = book.create_sheet(HELP_TITLE)
    notes.column_dimensions["A"].width = 110
    for row, line in enumerate(HELP_LINES, start=1):
        notes.cell(row, 1, line).font = Font(name=FONT, size=11, bold=row == 1)
    book.save(path)


def read_people_sheet(path: Path) -> list[SheetRow]:
    """The non-empty rows under the header of a people sheet (.xlsx or .csv).

    ``ValidationError`` for a file that cannot be read as one: wrong type, too big, no header,
    a required column missing, an encoding that is neither UTF-8 nor GB18030.
    """
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _rows(path.name, _csv_grid(path), None)
    if suffix in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    raise ValidationError(f"'{path.name}': a people sheet is an .xlsx workbook or a .csv file "
                          "(save an .xls as .xlsx first)")


def _read_xlsx(path: Path) -> list[SheetRow]:
    book = open_workbook(path, LIMITS)
    for sheet in book.worksheets:
        if sheet.title == HELP_TITLE:
            continue
        if sheet.max_row > MAX_ROWS + HEADER_ROWS:
            raise ValidationError(f"'{path.name}': sheet {sheet.title} has more than {MAX_ROWS:,} rows")
        cells = list(sheet_rows(sheet, MAX_ROWS + HEADER_ROWS, LIMITS.max_columns))
        grid = [[_text(cell.value) for cell in row] for row in cells]
        if _header_at(grid) is not None:
            return _rows(path.name, grid, cells)
    first = next((s for s in book.worksheets if s.title != HELP_TITLE), None)
    grid = [[_text(c.value) for c in row] for row in sheet_rows(first, HEADER_ROWS, LIMITS.max_columns)] \
        if first is not None else []
    return _rows(path.name, grid, None)  # raises: no header


def _csv_grid(path: Path) -> list[list[str]]:
    with open(path, "rb") as file:
        data = file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise ValidationError(f"'{path.name}' is too big to import (more than {MAX_CSV_BYTES:,} bytes)")
    text = _decode(path.name, data)
    first_line = text.split("\n", 1)[0]
    delimiter = "\t" if "\t" in first_line and "," not in first_line else ","
    grid: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            grid.append([cell.strip() for cell in row])
            if len(grid) > MAX_ROWS + HEADER_ROWS:
                raise ValidationError(f"'{path.name}' has more than {MAX_ROWS:,} rows")
    except csv.Error as exc:
        raise ValidationError(f"'{path.name}' line {len(grid) + 1} is not valid CSV: {exc}") from None
    return grid


def _decode(name: str, data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ["utf-16"]
    else:
        encodings = ["utf-8", "gb18030"]
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ValidationError(f"'{name}' is neither UTF-8 nor GB18030 text: save it as CSV (UTF-8) and try again")


def _text(value: Any) -> str:
    """A cell's value as text: whole numbers without ``.0`` (a phone number typed as a number)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _column(title: str) -> str:
    """A header cell as a column name: spaces, ``*`` and a bracketed note dropped, synonyms mapped."""
    name = re.sub(r"[\s*＊]+", "", title)
    name = re.sub(r"[（(].*?[)）]$", "", name)
    return ALIASES.get(name, name)


def _header_at(grid: list[list[str]]) -> int | None:
    for i, row in enumerate(grid[:HEADER_ROWS]):
        if set(REQUIRED) <= {_column(c) for c in row}:
            return i
    return None


def _rows(name: str, grid: list[list[str]], cells: list[list[Any]] | None) -> list[SheetRow]:
    at = _header_at(grid)
    if at is None:
        best = max(grid[:HEADER_ROWS], key=lambda r: len(set(REQUIRED) & {_column(c) for c in r}), default=[])
        missing = [c for c in REQUIRED if c not in {_column(v) for v in best}]
        if len(missing) < len(REQUIRED) - 1:
            raise ValidationError(f"'{name}': the header (表头) lacks the column(s) {'、'.join(missing)}")
        raise ValidationError(f"'{name}' is not a people sheet: no header (表头) with {'、'.join(REQUIRED)} "
                              f"in its first {HEADER_ROWS} rows")
    names = [_column(c) for c in grid[at]]
    positions: dict[str, int] = {}
    for i, column in enumerate(names):
        if column in COLUMNS:
            if column in positions:
                raise ValidationError(f"'{name}': the header (表头) has the column {column} twice")
            positions[column] = i
    rows = []
    for offset, row in enumerate(grid[at + 1:], start=at + 1):
        values = {column: row[i] if i < len(row) else "" for column, i in positions.items()}
        if not any(values.values()):
            continue
        problems = []
        if cells is not None:
            for column, i in positions.items():
                problem = cell_problem(cells[offset][i]) if i < len(cells[offset]) else None
                if problem:
                    problems.append(f"{column}{problem}")
        rows.append(SheetRow(offset + 1, values, problems))
    return rows
