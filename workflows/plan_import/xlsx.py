"""Read a rectification ledger an office keeps in Excel (not Rectiflow's own workbook) as plan text.

In each sheet, the first of its first five rows that names a problem column and a measures column
is the header; the rows below it are rewritten into the labelled text the parser reads, exactly as a
Word ledger table is (:func:`workflows.plan_import.docx.ledger_lines`), and the rows above it give the
title. A sheet without such a header gives its cells' text, one line per cell. The package is measured
before openpyxl opens it, as a .docx is, and formulas are read as their cached values.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from datetime import date, datetime
from pathlib import Path
from typing import Any

from openpyxl import load_workbook

from workflows.plan_import.docx import DocxRefused, check_package, header_columns, ledger_lines

_HEADER_ROWS = 5
# far above any plan; a sheet whose dimension claims A1:XFD1048576 is read no further than this
_MAX_ROWS = 20_000
_MAX_COLUMNS = 40
_WORKBOOK_XML_BYTES = 1024 * 1024  # the sheet list; real ones are a few kB


class XlsxRefused(ValueError):
    """A workbook refused before or while it is read; the message continues "The file 'x' …"."""


def read_xlsx_text(path: Path, *, max_xml_bytes: int) -> str:
    """All sheets' text, ledger tables rewritten for the parser."""
    try:
        check_package(path, max_xml_bytes)
    except DocxRefused as exc:
        raise XlsxRefused(str(exc).replace(".docx document", "Excel workbook")) from None
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged or foreign package
        raise XlsxRefused("is a damaged Excel workbook and cannot be read.") from exc
    try:
        out: list[str] = []
        for sheet in workbook.worksheets:
            rows = sheet.iter_rows(max_row=_MAX_ROWS, max_col=_MAX_COLUMNS, values_only=True)
            out.extend(_sheet_lines([[_text(v) for v in row] for row in rows]))
        return "\n".join(out)
    finally:
        workbook.close()


def has_sheet(data: bytes, name: str) -> bool:
    """Whether an uploaded workbook has a sheet called ``name``, read from its bounded ``xl/workbook.xml``
    alone: nothing else of a file nobody has checked yet is unpacked (openpyxl would read its shared
    strings and styles whole)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as package:
            info = package.getinfo("xl/workbook.xml")
            if info.file_size > _WORKBOOK_XML_BYTES:
                return False
            with package.open(info) as part:
                xml = part.read(_WORKBOOK_XML_BYTES + 1)
    except (KeyError, zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError):
        return False
    return re.search(rb'<(?:\w+:)?sheet\b[^>]*\bname="' + re.escape(name.encode()) + rb'"', xml) is not None


def _sheet_lines(rows: list[list[str]]) -> list[str]:
    rows = [row for row in rows if any(row)]
    for index, row in enumerate(rows[:_HEADER_ROWS]):
        columns = header_columns(row)
        if {"problem", "measures"} <= set(columns.values()):
            title = [next(cell for cell in above if cell) for above in rows[:index]]
            return title + ledger_lines(columns, rows[index + 1:])
    return [cell for row in rows for cell in row if cell]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = value.date() if value.time() == datetime.min.time() else value
    if isinstance(value, date):
        return f"{value.year}年{value.month}月{value.day}日"  # the parser reads dates in this form
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
