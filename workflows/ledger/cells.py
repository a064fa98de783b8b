"""Writing text into an .xlsx cell so that it stays text: the one way this project writes cells.

openpyxl turns a string that starts with ``=`` into a live formula and ``#REF!`` or ``#N/A``
into an error value. Progress typed by an officer (``=HYPERLINK("http://…")``) or a measure
from an imported workbook (``=cmd|' /C calc'!A0``) would then run in whoever opens the
export. OWASP's formula-injection rule names text starting with ``=``, ``+``, ``-``, ``@``,
tab or CR; here every string is stored as a plain text cell (an inline string, never an
``<f>`` element), which covers those and any other prefix, and keeps the exact text: no
apostrophe is added, so an exported workbook imports back unchanged.

Every writer of xlsx cells goes through ``write_cell`` or ``safe_text_cell``.
"""

from __future__ import annotations

import re
from typing import Any

from openpyxl.cell.cell import Cell
from openpyxl.worksheet.worksheet import Worksheet

#: what XML 1.0 cannot carry: C0 controls other than tab, LF and CR, and lone surrogates
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def xml_text(text: str) -> str:
    """``text`` with the characters an .xlsx cannot hold replaced by U+FFFD.

    Such characters (a NUL, a vertical tab pasted from Word, half of a surrogate pair) would
    make openpyxl refuse the whole workbook; a visible replacement mark loses one character
    instead of the export.
    """
    return _NOT_XML.sub(REPLACEMENT, text)


def safe_text_cell(cell: Cell, value: str) -> Cell:
    """Store ``value`` in ``cell`` as a text cell, never as a formula or an error value."""
    cell.value = xml_text(value)  # openpyxl infers "f" for "=…" and "e" for "#REF!" here
    cell.data_type = "s"
    return cell


def write_cell(sheet: Worksheet, row: int, column: int, value: Any) -> Cell:
    """Write ``value`` at (``row``, ``column``): strings as text cells, other values as they are."""
    cell = sheet.cell(row, column)
    if isinstance(value, str):
        return safe_text_cell(cell, value)
    cell.value = value
    return cell
