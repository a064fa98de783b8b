"""The ledger (台账): its rows (``view``), the Excel workbook, and reading an edited workbook back.

One sheet per round: a title row, the header, one row per measure. Hidden columns after
the visible ones carry the stable keys (round, problem and measure ids), the deadline
as written in the plan and the problem's flags, and a hidden ``_meta`` sheet carries
each round's metadata, so that a workbook can update the plan it came from or create
an identical plan elsewhere. Status, 完成情况, 佐证材料 and 最近更新 are output only, and so are the history columns
after them (``HISTORY_HEADER``: 原定时限, 时限调整记录, 反弹重启情况), which the importer ignores, and
so are the supervision columns an export at a given moment adds (``SUPERVISION_HEADER``: 预警 in
its colour, 挂牌督办).

Reading validates every row and cell first and raises one ``LedgerValidationError``
listing all problems; nothing is written unless the whole workbook is valid.

Spreadsheet safety: every string is written as a text cell, never a formula, whatever it
starts with (``cells``), so text comes back exactly. Reading opens the file
within ``WorkbookLimits`` (size, cells, merged ranges, rows; ``guard``) and
refuses a formula in a column it applies, with or without a cached result: paste values.

Public surface: ``ledger_rows`` and ``LedgerRow`` (the ledger as rows), ``export_ledger`` and
``import_ledger`` (the workbook), with ``LedgerValidationError``, ``LedgerImportResult`` and
``WorkbookLimits``; the layout constants tests and renderers share. Everything else is private.
"""

from .export import export_ledger, round_meta, sheet_title, shown_status, write_round_sheet
from .guard import WorkbookLimits, cell_problem, open_workbook, sheet_rows
from .history_text import deadline_history_text, deadline_note, reopen_text, step_text
from .importer import LedgerImportResult, LedgerValidationError, apply_ledger, import_ledger, read_ledger
from .layout import (
    COLUMN_WIDTHS,
    DATE_FORMAT,
    HEADER,
    HEADER_ROW,
    HISTORY_HEADER,
    KEY_HEADER,
    META_SHEET,
    PROBLEM_PHASES,
    SHEET_HEADER,
    STATUS_COLOURS,
    STATUS_FILL,
    SUPERVISION_HEADER,
    TITLE_ROW,
    WARNING_FILL,
    WIDTHS,
)
from .view import DeadlineStep, LedgerRow, Reopening, ledger_rows, row_json

__all__ = [
    "DeadlineStep",
    "LedgerRow",
    "Reopening",
    "deadline_history_text",
    "deadline_note",
    "ledger_rows",
    "reopen_text",
    "row_json",
    "step_text",
    "COLUMN_WIDTHS",
    "DATE_FORMAT",
    "HEADER",
    "HEADER_ROW",
    "HISTORY_HEADER",
    "KEY_HEADER",
    "META_SHEET",
    "PROBLEM_PHASES",
    "SHEET_HEADER",
    "STATUS_COLOURS",
    "STATUS_FILL",
    "SUPERVISION_HEADER",
    "TITLE_ROW",
    "WARNING_FILL",
    "WIDTHS",
    "LedgerImportResult",
    "LedgerValidationError",
    "WorkbookLimits",
    "cell_problem",
    "open_workbook",
    "sheet_rows",
    "export_ledger",
    "import_ledger",
    "apply_ledger",
    "read_ledger",
    "round_meta",
    "sheet_title",
    "shown_status",
    "write_round_sheet",
]
