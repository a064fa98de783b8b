"""How a ledger sheet looks on screen and on paper: fonts, widths, borders, print setup.

Fonts: every written cell names a Chinese font with the GB2312 character set (``charset``
134) and no theme ``scheme`` (a scheme font would make Excel show the theme's font instead
of the name): body 宋体, header 黑体, and the title 黑体 too. A spreadsheet has no
alternate-font list, and 方正小标宋简体 is missing from most machines that open a ledger,
where Excel would substitute an arbitrary face; 黑体 ships with every Chinese Windows, macOS
and WPS, so the title looks the same everywhere. (The Word report, a published document,
uses 方正小标宋简体 with 黑体 as its named alternate.)

Widths are computed from content, a Chinese (East Asian wide) character counting 2 and
any other 1, between the column's narrowest and widest (``layout.COLUMN_WIDTHS``); text
beyond the widest wraps (every visible cell wraps, top-aligned).

Paper: A4 landscape, one page wide and as many pages tall as needed, title and header
rows repeated on every page, narrow margins, centred horizontally, ``第 N 页 共 M 页``
in the footer.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from .layout import COLUMN_WIDTHS, HEADER_ROW, TITLE_ROW

BODY_FONT = "宋体"
HEADER_FONT = "黑体"
TITLE_FONT = "黑体"
CHINESE_FONTS = frozenset({BODY_FONT, HEADER_FONT, TITLE_FONT})
GB2312 = 134  # the font's character set: lets Excel substitute a Chinese face if it lacks this one
FOOTER = "第 &P 页 共 &N 页"  # &P the page, &N the number of pages

_THIN = Side(style="thin", color="808080")
BORDER = Border(left=_THIN, right=_THIN, top=_THIN, bottom=_THIN)
FONT_BODY = Font(name=BODY_FONT, size=11, charset=GB2312, family=3)
FONT_HEADER = Font(name=HEADER_FONT, size=11, charset=GB2312, family=3)
FONT_TITLE = Font(name=TITLE_FONT, size=16, charset=GB2312, family=3)
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
WRAPPED = Alignment(vertical="top", wrap_text=True)
WRAPPED_CENTRED = Alignment(horizontal="center", vertical="top", wrap_text=True)
HEADER_ALIGNMENT = Alignment(horizontal="center", vertical="center", wrap_text=True)
# columns of short values (numbers, names, dates, statuses) read best centred
CENTRED = frozenset({"序号", "责任领导", "整改时限", "整改状态", "佐证材料", "最近更新", "原定时限", "预警"})
_PADDING = 2  # a character's room either side of the text


def text_width(text: str) -> int:
    """The width of ``text``'s longest line in Excel character units: CJK characters count 2."""
    return max((sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in line)
                for line in text.split("\n")), default=0)


def value_width(value: Any) -> int:
    """How wide a cell value shows: dates as ``yyyy-mm-dd`` (10), times with minutes (16)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, date):
        return 10
    return text_width(str(value))


def column_width(name: str, values: Iterable[Any]) -> int:
    """The width of the column headed ``name``: its widest value (or header), within its bounds."""
    narrowest, widest = COLUMN_WIDTHS[name]
    content = max((value_width(v) for v in values), default=0)
    return max(narrowest, min(widest, max(content, text_width(name)) + _PADDING))


def style_title(sheet: Worksheet, width: int) -> None:
    """The title row: merged over the visible columns, centred, in the title font."""
    cell = sheet.cell(TITLE_ROW, 1)
    cell.font = FONT_TITLE
    cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    sheet.merge_cells(start_row=TITLE_ROW, start_column=1, end_row=TITLE_ROW, end_column=width)
    sheet.row_dimensions[TITLE_ROW].height = 32


def style_header(sheet: Worksheet, visible: int, total: int) -> None:
    """The header row: the header font on every written cell, fill and borders on the visible ones."""
    for col in range(1, total + 1):
        cell = sheet.cell(HEADER_ROW, col)
        cell.font = FONT_HEADER
        if col <= visible:
            cell.fill = HEADER_FILL
            cell.alignment = HEADER_ALIGNMENT
            cell.border = BORDER


def style_row(sheet: Worksheet, row: int, names: Sequence[str], total: int) -> None:
    """A data row: the body font everywhere; wrapped, top-aligned, bordered in the visible columns."""
    for col in range(1, total + 1):
        cell = sheet.cell(row, col)
        cell.font = FONT_BODY
        if col <= len(names):
            cell.alignment = WRAPPED_CENTRED if names[col - 1] in CENTRED else WRAPPED
            cell.border = BORDER


def fit_columns(sheet: Worksheet, names: Sequence[str], first_row: int, last_row: int,
                hidden: int) -> None:
    """Width of each visible column from its content; the ``hidden`` columns after them hidden."""
    for col, name in enumerate(names, start=1):
        values = (sheet.cell(r, col).value for r in range(first_row, last_row + 1))
        sheet.column_dimensions[get_column_letter(col)].width = column_width(name, values)
    for col in range(len(names) + 1, len(names) + hidden + 1):
        sheet.column_dimensions[get_column_letter(col)].hidden = True


def set_up_pages(sheet: Worksheet, visible: int, last_row: int) -> None:
    """Frozen header, autofilter, and print setup: A4 landscape, one page wide, titles repeated."""
    sheet.freeze_panes = sheet.cell(HEADER_ROW + 1, 1)
    sheet.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(visible)}{max(last_row, HEADER_ROW + 1)}"
    setup = sheet.page_setup
    setup.paperSize = sheet.PAPERSIZE_A4
    setup.orientation = sheet.ORIENTATION_LANDSCAPE
    setup.fitToWidth, setup.fitToHeight = 1, 0  # 0: as many pages tall as the rows need
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{TITLE_ROW}:{HEADER_ROW}"
    sheet.page_margins = PageMargins(left=0.25, right=0.25, top=0.75, bottom=0.75, header=0.3, footer=0.3)
    sheet.print_options.horizontalCentered = True
    footer = sheet.oddFooter.center
    footer.text, footer.font, footer.size = FOOTER, f"{BODY_FONT},Regular", 10


def style_plain(sheet: Worksheet) -> None:
    """The body font on every written cell of a sheet (the hidden ``_meta`` sheet)."""
    for row in sheet.iter_rows():
        for cell in row:
            cell.font = FONT_BODY
