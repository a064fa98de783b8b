"""What the ledger workbook looks like, shared by export and import.

The visible columns and their widths, the hidden key columns after them, the title and
header rows, the hidden ``_meta`` sheet, the round fields it carries and the status colours.
"""

from __future__ import annotations

from ..models import ProblemStatus as S

HEADER = ["序号", "方面", "问题", "整改措施", "责任领导", "牵头单位", "责任单位", "整改时限",
          "整改状态", "完成情况", "佐证材料", "最近更新"]
KEY_HEADER = ["round_id", "problem_id", "measure_id", "deadline_text", "problem_flags"]
WIDTHS = [8, 20, 28, 60, 10, 14, 18, 13, 10, 36, 9, 17]
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
ROUND_FIELDS = ("title", "inspecting_group", "signatory", "contacts", "sections", "source_name")
ROUND_DATES = ("period_start", "period_end", "feedback_date", "report_date")
