"""Opening a workbook someone else wrote without letting it exhaust time or memory.

An .xlsx is a zip of XML. Before openpyxl reads anything, the zip directory is checked
(entries, declared uncompressed sizes: Python's zipfile stops at the declared size, so a
lying directory fails its CRC check instead of inflating further) and every part is scanned
for what openpyxl would expand in memory: each ``<c>`` becomes an object, and a merged range
or a hyperlink over ``A1:XFD1048576`` becomes 17 billion of them. Then the workbook is
loaded *with* its formulas (``data_only=False``), so that the import can see a formula
rather than a cached value that another program may never have computed.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from xml.parsers import expat

from openpyxl import Workbook, load_workbook
from openpyxl.cell.cell import Cell
from openpyxl.utils.cell import range_boundaries
from openpyxl.worksheet.worksheet import Worksheet

from ..errors import ValidationError

MAX_CELL_CHARS = 32_767  # Excel's own limit for one cell


@dataclass(frozen=True)
class WorkbookLimits:
    """How much of a workbook an import reads; anything beyond is refused, never truncated.

    The defaults hold some 20,000 ledger rows (an export of every round for years) while
    bounding memory to a few hundred MB.
    """

    max_bytes: int = 50 * 1024 * 1024  # the file, and its parts once uncompressed
    max_entries: int = 2_000  # parts in the zip
    max_cells: int = 500_000  # <c> elements in all sheets
    max_elements: int = 3_000_000  # XML elements in all parts (styles, strings, rows…)
    max_spans: int = 2_000  # merged ranges and hyperlinks
    max_spanned_cells: int = 100_000  # cells they cover
    max_rows: int = 20_000  # rows read over all ledger sheets
    max_columns: int = 24  # columns read per sheet: the ledger has 20 (15 visible, 5 hidden keys)


def open_workbook(path_or_stream: str | Path | IO[bytes], limits: WorkbookLimits) -> Workbook:
    """The workbook with formulas kept, or ``ValidationError`` if it is not one or is too big."""
    name = Path(path_or_stream).name if isinstance(path_or_stream, str | Path) else "the upload"
    data = _read_bounded(path_or_stream, name, limits.max_bytes)
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError, OSError):
        raise _not_a_workbook(name) from None
    with archive:
        _check_directory(archive, name, limits)
        broken = _check_parts(archive, name, limits)
    try:
        with warnings.catch_warnings():
            # unsupported extensions, dates out of range (read as #VALUE!): noise, not faults
            warnings.simplefilter("ignore")
            return load_workbook(io.BytesIO(data), data_only=False, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for files that are not workbooks
        raise _not_a_workbook(name, broken) from exc


def _not_a_workbook(name: str, detail: str | None = None) -> ValidationError:
    return ValidationError(f"'{name}' is not an Excel workbook (.xlsx) or it is damaged"
                           + (f" ({detail})" if detail else ""))


def _too_big(name: str, what: str) -> ValidationError:
    return ValidationError(f"'{name}' is too big to import: {what}")


def _read_bounded(path_or_stream: str | Path | IO[bytes], name: str, limit: int) -> bytes:
    if isinstance(path_or_stream, str | Path):
        with open(path_or_stream, "rb") as file:
            data = file.read(limit + 1)
    else:
        data = path_or_stream.read(limit + 1)
    if len(data) > limit:
        raise _too_big(name, f"the file is larger than {limit:,} bytes")
    return data


def _check_directory(archive: zipfile.ZipFile, name: str, limits: WorkbookLimits) -> None:
    entries = archive.infolist()
    if len(entries) > limits.max_entries:
        raise _too_big(name, f"it holds more than {limits.max_entries:,} parts")
    if sum(entry.file_size for entry in entries) > limits.max_bytes:
        raise _too_big(name, f"its contents are larger than {limits.max_bytes:,} bytes uncompressed")


def _check_parts(archive: zipfile.ZipFile, name: str, limits: WorkbookLimits) -> str | None:
    """Count what openpyxl would build: elements, cells, and cells covered by merges and links.

    Every part is scanned, not only ``xl/worksheets/``: the workbook's relationships may name
    any part as a sheet. The parser is expat, as in openpyxl, so both see the same elements;
    it is used bare, building no tree, so the scan itself takes no memory. Returns where the
    first XML part that does not parse breaks (a NUL or a lone surrogate in a cell's text is
    such a break: XML cannot carry them), to name it if openpyxl refuses the file.
    """
    census = _Census(name, limits)
    broken = None
    for entry in archive.infolist():
        parser = expat.ParserCreate(namespace_separator="}")
        parser.StartElementHandler = census.start
        try:
            with archive.open(entry) as part:
                parser.ParseFile(part)
        except expat.ExpatError as exc:
            # not XML (an image, a macro) or broken: openpyxl refuses it if it is needed
            if broken is None and entry.filename.endswith((".xml", ".rels")):
                broken = _where_broken(archive.read(entry), parser.ErrorByteIndex, entry.filename, exc)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, EOFError, OSError):
            raise _not_a_workbook(name) from None  # a bad CRC, an unknown method, a password
    return broken


_CELL_START = re.compile(rb"<(?:[\w.-]+:)?c\s[^>]*?\br\s*=\s*[\"']([A-Za-z]{1,3}[0-9]{1,7})[\"']")


def _where_broken(xml: bytes, at: int, part: str, error: expat.ExpatError) -> str:
    """``xl/worksheets/sheet1.xml, cell D3: <expat's reason>``: the last cell opened before the break."""
    cells = _CELL_START.findall(xml, max(at - 256 * 1024, 0), max(at, 0))  # a cell's text fits in 256 KiB
    cell = f", cell {cells[-1].decode()}" if cells else ""
    return f"{part}{cell}: {expat.ErrorString(error.code)}"


class _Census:
    """Counts elements as expat meets them and refuses the file at the first limit passed."""

    def __init__(self, name: str, limits: WorkbookLimits) -> None:
        self.name, self.limits = name, limits
        self.elements = self.cells = self.spans = self.spanned = 0

    def start(self, tag: str, attributes: dict[str, str]) -> None:
        limits = self.limits
        self.elements += 1
        local = tag.rpartition("}")[2]
        if local == "c":
            self.cells += 1
        elif local in ("mergeCell", "hyperlink"):
            self.spans += 1
            self.spanned += _area(attributes.get("ref"))
        if self.elements > limits.max_elements:
            raise _too_big(self.name, f"it has more than {limits.max_elements:,} XML elements")
        if self.cells > limits.max_cells:
            raise _too_big(self.name, f"it has more than {limits.max_cells:,} cells")
        if self.spans > limits.max_spans or self.spanned > limits.max_spanned_cells:
            raise _too_big(self.name, "its merged cells or hyperlinks cover too many cells")


def _area(ref: str | None) -> int:
    if not ref:
        return 0
    try:
        min_col, min_row, max_col, max_row = range_boundaries(ref)
    except (ValueError, TypeError):
        return 1  # openpyxl refuses the reference itself when it loads
    if None in (min_col, min_row, max_col, max_row):
        return 1 << 34  # a whole row or column: as many cells as a sheet has
    return (max_col - min_col + 1) * (max_row - min_row + 1)


def sheet_rows(sheet: Worksheet, max_rows: int, max_columns: int) -> Iterator[list[Cell]]:
    """The first ``max_rows`` rows of the sheet, ``max_columns`` wide, merged cells filled.

    A cell inside a merged range is given the range's top-left cell: a 问题 merged over the
    rows of its measures reads as that problem on each row, as it looks on screen.
    """
    height, width = min(sheet.max_row, max_rows), min(sheet.max_column, max_columns)
    anchors: dict[tuple[int, int], Cell] = {}
    for merged in sheet.merged_cells.ranges:  # bounded by max_spanned_cells when the file was opened
        anchor = sheet.cell(merged.min_row, merged.min_col)
        for row in range(merged.min_row, min(merged.max_row, height) + 1):
            for col in range(merged.min_col, min(merged.max_col, width) + 1):
                anchors[row, col] = anchor
    for r, row in enumerate(sheet.iter_rows(max_row=height, max_col=width), start=1):
        yield [anchors.get((r, c), cell) for c, cell in enumerate(row, start=1)]


def text_problem(text: str, max_length: int = MAX_CELL_CHARS) -> str | None:
    """Why ``text`` cannot be imported (NUL, lone surrogate, too long), or ``None``."""
    if "\x00" in text:
        return "含有空字符（NUL），数据库无法保存"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"含有无效的 Unicode 字符（孤立代理项 U+{ord(text[exc.start]):04X}）"
    if len(text) > max_length:
        return f"过长（{len(text):,} 个字符，最多 {max_length:,} 个）"
    return None


def cell_problem(cell: Cell) -> str | None:
    """Why an editable cell cannot be imported (a formula, an error value, bad text), or ``None``.

    A formula is refused whether or not the file holds its result: a cached result may be
    missing (files written by a program that does not calculate) or stale, and importing it
    would silently clear or change a deadline or a leader. Pasting values fixes it.
    """
    value: Any = cell.value
    if cell.data_type == "f":
        formula = value if isinstance(value, str) else getattr(value, "text", None) or "="
        shown = formula if len(formula) <= 40 else formula[:40] + "…"
        return f"是公式 {shown}，请复制后“选择性粘贴 → 数值”再导入"
    if cell.data_type == "e":
        return f"是错误值 {value}"
    if isinstance(value, str):
        return text_problem(value)
    return None
