"""Read a .docx plan into plain text lines: paragraphs and table cells in document order.

A table whose header names a problem column and a measure column (a 台账 / ledger) is
rewritten into the labelled-field text the parser understands: one ``N.问题`` line per
problem, ``整改措施：`` followed by ``（k）措施（整改时限：…；责任单位：…；整改状态：…）``
per row (or, for a cell that itself lists 一是…二是…, the cell and then one labelled line per
field), and ``第X部分`` lines when a 方面/类别 column changes. Other tables yield
their cells' text, one line per distinct cell.

A .docx is a zip, and a small one can unpack to gigabytes of XML (python-docx holds it
all, and its tree, in memory): the package is measured before python-docx opens it.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

from docx import Document
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

_HEADER_KINDS: list[tuple[str, re.Pattern[str]]] = [
    ("seq", re.compile(r"^(?:序号|编号|序)$")),
    ("part", re.compile(r"方面|类别|类型|板块")),
    ("measures", re.compile(r"措施|举措")),
    ("deadline", re.compile(r"时限|期限|完成时间")),
    ("leader", re.compile(r"领导|责任人")),
    ("lead_unit", re.compile(r"牵头")),
    ("units", re.compile(r"责任单位|责任部门|责任科室|配合")),
    ("status", re.compile(r"情况|进展|进度|状态")),
    ("problem", re.compile(r"问题")),
]
_FIELD_LABEL = {"deadline": "整改时限", "leader": "责任领导", "lead_unit": "牵头单位", "units": "责任单位",
                "status": "整改状态"}
_LEADING_NUMBER_RE = re.compile(r"^\s*(?:\d{1,3}\s*[.、．]|[（(]\d{1,3}[)）])\s*")
# a cell listing several measures: 一是…, （1）…, ①…, or 1.… followed by 2.…
_MARKER_RE = re.compile(r"一是|[（(]1[)）]|①|^\s*1\s*[.、．](?=.*[；;。\n]\s*2\s*[.、．])", re.S)
_CN_DIGITS = "零一二三四五六七八九"
# python-docx needs about 13 times the XML's size in memory and 0.5 s per MB: 20 MB is at most
# ~10 s and ~300 MB, far above any real plan (a 100-page document has a few MB of XML).
DEFAULT_MAX_XML_BYTES = 20 * 1024 * 1024
_CHUNK = 64 * 1024
_MB = 1024 * 1024


class DocxRefused(ValueError):
    """A .docx refused before it is read; the message continues "The file 'x' …"."""


def read_docx_text(path: Path, *, max_xml_bytes: int = DEFAULT_MAX_XML_BYTES) -> str:
    """All text of the document in reading order, one paragraph or cell per line.

    Raises ``DocxRefused`` for a file that is not a zip, is damaged, or unpacks to more
    than ``max_xml_bytes`` (so memory stays bounded by that limit).
    """
    check_package(path, max_xml_bytes)
    document = Document(str(path))
    out: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            out.append(block.text)
        else:
            out.extend(_table_lines(block))
    return "\n".join(out)


def check_package(path: Path, max_xml_bytes: int) -> None:
    """Refuse a package that unpacks to more than ``max_xml_bytes``, or that is not a sound zip.

    The zip directory's sizes are checked first (nothing is unpacked for a bomb that says
    what it is); then every member is unpacked in chunks and counted, so a directory that
    lies about the sizes is caught too, without holding more than one chunk.
    """
    limit = f"the limit is {_size(max_xml_bytes)}"
    try:
        with zipfile.ZipFile(path) as package:
            members = package.infolist()
            declared = sum(member.file_size for member in members)
            if declared > max_xml_bytes:
                raise DocxRefused(f"unpacks to {_size(declared)} of XML and other parts; {limit}.")
            unpacked = 0
            for member in members:
                with package.open(member) as stream:
                    while chunk := stream.read(_CHUNK):
                        unpacked += len(chunk)
                        if unpacked > max_xml_bytes:
                            # zipfile stops at the declared size today; this holds whatever the reader does
                            raise DocxRefused(f"unpacks to more than its zip directory says; {limit}.")
    except DocxRefused:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError) as exc:
        # a damaged archive, an unknown compression method, a password-protected member
        raise DocxRefused("is a damaged .docx document and cannot be read.") from exc


def _size(n: int) -> str:
    return f"{n / _MB:.1f} MB" if n >= _MB // 10 else f"{n:,} bytes"


def _cell_text(cell: _Cell) -> str:
    parts: list[str] = []
    for block in cell.iter_inner_content():
        if isinstance(block, Paragraph):
            parts.append(block.text)
        else:
            parts.extend(_table_lines(block))
    return "\n".join(p for p in parts if p.strip())


def _rows(table: Table) -> list[list[str]]:
    rows: list[list[str]] = []
    for row in table.rows:
        seen: set[int] = set()
        cells: list[str] = []
        for cell in row.cells:
            if id(cell._tc) in seen:  # a horizontally merged cell is returned once per grid column
                continue
            seen.add(id(cell._tc))
            cells.append(_cell_text(cell))
        rows.append(cells)
    return rows


def _table_lines(table: Table) -> list[str]:
    rows = _rows(table)
    for index, row in enumerate(rows[:3]):
        columns = header_columns(row)
        if "problem" in columns.values() and "measures" in columns.values():
            return ledger_lines(columns, rows[index + 1:])
    lines: list[str] = []
    previous: list[str] = []
    for row in rows:
        for col, text in enumerate(row):
            # vertically merged cells repeat their text in each row they span
            if text.strip() and (col >= len(previous) or previous[col] != text):
                lines.append(text)
        previous = row
    return lines


def header_columns(row: list[str]) -> dict[int, str]:
    """Column index -> what the column holds (problem, measures, deadline, …), read from a header row."""
    columns: dict[int, str] = {}
    for col, text in enumerate(row):
        label = re.sub(r"\s+", "", text)
        if not label or len(label) > 12:
            continue
        for kind, pattern in _HEADER_KINDS:
            if pattern.search(label) and kind not in columns.values():
                columns[col] = kind
                break
    return columns


def ledger_lines(columns: dict[int, str], rows: list[list[str]]) -> list[str]:
    """The rows of a ledger table as the labelled text the parser reads (see the module docstring)."""
    lines: list[str] = []
    part = problem = None
    part_no = problem_no = measure_no = 0
    for row in rows:
        values = {kind: (row[col].strip() if col < len(row) else "") for col, kind in columns.items()}
        if values.get("part") and values["part"] != part:
            part = values["part"]
            part_no += 1
            problem_no = 0
            lines.append(f"第{_cn_number(part_no)}部分 {part}")
        if values.get("problem") and values["problem"] != problem:
            problem = values["problem"]
            problem_no += 1
            measure_no = 0
            lines.append(f"{problem_no}.{_LEADING_NUMBER_RE.sub('', problem.replace(chr(10), ''))}")
            lines.append("整改措施：")
        measure = values.get("measures", "")
        if not measure:
            continue
        fields = [f"{_FIELD_LABEL[k]}：{values[k]}" for k in _FIELD_LABEL if values.get(k)]
        if _MARKER_RE.search(measure):
            # a cell holding several measures: its fields are the problem's, one labelled line each; the
            # label keeps a cell starting "1." from being read as the next problem's heading
            if lines and lines[-1] == "整改措施：":
                lines.pop()
            lines.append(f"整改措施：{measure}")
            lines.extend(fields)
            continue
        suffix = f"（{'；'.join(fields)}）" if fields else ""
        measure_no += 1
        lines.append(f"（{measure_no}）{_LEADING_NUMBER_RE.sub('', measure)}{suffix}")
    return lines


def _cn_number(n: int) -> str:
    """1 -> 一, 12 -> 十二, 25 -> 二十五 (for generated 第X部分 headings, n < 100)."""
    tens, ones = divmod(n, 10)
    text = (_CN_DIGITS[tens] if tens > 1 else "") + ("十" if tens else "")
    return text + (_CN_DIGITS[ones] if ones or not tens else "")
