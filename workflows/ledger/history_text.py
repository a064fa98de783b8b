"""The words the ledger, the Excel sheet and the report use for deadline history and reopening.

One wording everywhere, so that the three agree by construction:

* a change (``step_text``): ``2027-03-31→2027-05-31（核实未通过，张三，2027-04-02：整改不到位）``;
* a measure's history (``deadline_history_text``): ``原定时限2027-03-31，调整后时限2027-05-31。调整记录：``
  and each change, separated by ``；``;
* the short note beside a measure (``deadline_note``, the report's parentheses):
  ``整改时限：2027-05-31；原定2027-03-31，因核实未通过调整``;
* a problem's last reopening (``reopen_text``): ``反弹重启（第2次，张三，2027-10-02）。原因：整改不彻底`` or
  ``核实未通过，重新整改（张三，2027-04-02）。原因：…``.

The note puts ``；`` after the date and the reopening puts ``。`` before its reason, so that a
published report read back by ``plan_import`` takes the date alone as the measure's 整改时限 and
no word of a reason for a status.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from ..deadlines import china_date
from ..models import DEADLINE_SOURCE_LABELS

if TYPE_CHECKING:  # the view's types only: the view itself offers these texts on its rows
    from .view import DeadlineStep, LedgerRow, Reopening

NO_DATE = "未定"
REBOUND = "反弹重启"
VERIFICATION_FAILED = "核实未通过，重新整改"


def day_text(day: date | None) -> str:
    """``2027-03-31``, or 未定 for no deadline."""
    return day.isoformat() if day is not None else NO_DATE


def step_text(step: DeadlineStep) -> str:
    """One change: ``2027-03-31→2027-05-31（核实未通过，张三，2027-04-02：整改不到位）``."""
    why = f"：{step.reason}" if step.reason else ""
    who = f"{step.by}，" if step.by else ""
    return (f"{day_text(step.old)}→{day_text(step.new)}"
            f"（{DEADLINE_SOURCE_LABELS[step.source]}，{who}{china_date(step.at).isoformat()}{why}）")


def deadline_history_text(row: LedgerRow) -> str:
    """``原定时限… ，调整后时限…。调整记录：`` and each change, or empty when the deadline never moved."""
    if not row.deadline_history:
        return ""
    changes = "；".join(step_text(step) for step in row.deadline_history)
    if row.original_deadline == row.deadline:  # filled in once where the plan had none
        return f"调整记录：{changes}"
    return f"原定时限{day_text(row.original_deadline)}，调整后时限{day_text(row.deadline)}。调整记录：{changes}"


def deadline_note(row: LedgerRow) -> str:
    """``整改时限：2027-05-31；原定2027-03-31，因核实未通过调整`` (the causes of every change, in
    order), or empty when the deadline is the one the plan first gave."""
    if not row.deadline_history or row.original_deadline == row.deadline:
        return ""
    # filling in a deadline where the plan had none gave the original: it is no cause of adjustment
    causes = "、".join(dict.fromkeys(DEADLINE_SOURCE_LABELS[step.source] for step in row.deadline_history
                                    if step.old is not None))
    before = f"原定{row.original_deadline.isoformat()}" if row.original_deadline is not None else "原未定时限"
    return f"整改时限：{day_text(row.deadline)}；{before}，因{causes}调整"


def reopen_text(reopen: Reopening | None) -> str:
    """``反弹重启（第2次，张三，2027-10-02）。原因：…``, ``核实未通过，重新整改（…）…``, or empty."""
    if reopen is None:
        return ""
    what = REBOUND if reopen.rebound else VERIFICATION_FAILED
    facts = [f"第{reopen.times}次"] if reopen.times > 1 else []
    facts += [reopen.by] if reopen.by else []
    facts += [china_date(reopen.at).isoformat()] if reopen.at else []
    told = f"（{'，'.join(facts)}）" if facts else ""
    reason = f"。原因：{reopen.reason}" if reopen.reason else ""
    return f"{what}{told}{reason}"
