"""What the ledger workbook looks like, shared by export and import.

The visible columns and their widths, the hidden key columns after them, the title and
header rows, the hidden ``_meta`` sheet, the round fields it carries and the status colours.

``HEADER`` is what an import recognises a ledger sheet by (its first cells, in this order)
and reads by position; ``HISTORY_HEADER`` are output-only columns an export appends after
it (the deadline history and reopening). They are kept apart so that a workbook exported
before they existed, or a sheet typed by hand with the twelve columns, still imports.
``SUPERVISION_HEADER`` (预警, 挂牌督办) are output only too: the warning colour and the flag as
they stand at the moment of export, written after the history when the export is given that
moment (``export_ledger(..., now=...)``; the command line always gives it).
"""

from __future__ import annotations

from ..models import ProblemStatus as S

HEADER = ["序号", "方面", "问题", "整改措施", "责任领导", "牵头单位", "责任单位", "整改时限",
          "整改状态", "完成情况", "佐证材料", "最近更新"]
HISTORY_HEADER = ["原定时限", "时限调整记录", "反弹重启情况"]
SHEET_HEADER = HEADER + HISTORY_HEADER  # the visible header row of an exported sheet
SUPERVISION_HEADER = ["预警", "挂牌督办"]  # after SHEET_HEADER when exported at a given moment
KEY_HEADER = ["round_id", "problem_id", "measure_id", "deadline_text", "problem_flags"]
# (narrowest, widest) of each visible column in Excel's character units, where a Chinese
# character counts 2: a column fits its longest line within these, and wraps beyond.
COLUMN_WIDTHS: dict[str, tuple[int, int]] = {
    "序号": (6, 9), "方面": (10, 16), "问题": (14, 26), "整改措施": (24, 44), "责任领导": (10, 12),
    "牵头单位": (10, 16), "责任单位": (10, 18), "整改时限": (12, 16), "整改状态": (10, 10),
    "完成情况": (14, 36), "佐证材料": (10, 10), "最近更新": (18, 18),
    "原定时限": (10, 12), "时限调整记录": (14, 40), "反弹重启情况": (14, 30),
    "预警": (10, 16), "挂牌督办": (14, 30),
}
WIDTHS = [COLUMN_WIDTHS[name][1] for name in SHEET_HEADER]  # the widest each visible column grows
TITLE_ROW, HEADER_ROW = 1, 2
META_SHEET = "_meta"
DATE_FORMAT = "yyyy-mm-dd"
# statuses that belong to the whole problem; before them, each row shows its measure's status
PROBLEM_PHASES = {S.AWAITING_VERIFICATION, S.LONG_TERM, S.CLOSED, S.LOOK_BACK, S.CONSOLIDATED, S.REOPENED}
STATUS_COLOURS = {
    "C6EFCE": {S.DONE, S.CLOSED, S.CONSOLIDATED, S.LOOK_BACK},  # green
    "FFEB9C": {S.AWAITING_APPROVAL, S.AWAITING_VERIFICATION, S.IN_PROGRESS},  # yellow
    "FFC7CE": {S.OVERDUE, S.REOPENED},  # red
    "BDD7EE": {S.LONG_TERM},  # blue
    "E7E6E6": {S.PENDING, S.NOT_STARTED},  # grey
}
STATUS_FILL = {status: colour for colour, statuses in STATUS_COLOURS.items() for status in statuses}
# The 预警 cell's fill by warning colour (WarningColour's value), and for none (已完成): grey.
WARNING_FILL = {"red": "FFC7CE", "yellow": "FFEB9C", "green": "C6EFCE", "blue": "BDD7EE"}
DONE_FILL = "E7E6E6"
ROUND_FIELDS = ("title", "inspecting_group", "signatory", "contacts", "sections", "source_name", "kind")
ROUND_DATES = ("period_start", "period_end", "feedback_date", "report_date")
