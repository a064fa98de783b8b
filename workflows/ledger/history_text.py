"""The words the ledger, the Excel sheet and the report use for deadline history and reopening.

One wording everywhere, so that the three agree by construction: ``原定时限2027-03-31 →
调整后时限2027-05-31（核实未通过，督查 张三，2027-04-02：整改不到位）``.
"""

from __future__ import annotations

from datetime import date

from ..deadlines import china_date
from ..models import DEADLINE_SOURCE_LABELS
from .view import DeadlineStep, LedgerRow, Reopening

NO_DATE = "未定"


def day_text(day: date | None) -> str:
    """``2027-03-31``, or 未定 for no deadline."""
    return day.isoformat() if day is not None else NO_DATE


def step_text(step: DeadlineStep) -> str:
    """One change: ``2027-03-31→2027-05-31（核实未通过，张三，2027-04-02：整改不到位）``."""
    why = f"：{step.reason}" if step.reason else ""
    return (f"{day_text(step.old)}→{day_text(step.new)}"
            f"（{DEADLINE_SOURCE_LABELS[step.source]}，{step.by}，{china_date(step.at).isoformat()}{why}）")


def deadline_history_text(row: LedgerRow) -> str:
    """``原定时限… → 调整后时限…`` and each change, or empty when the deadline never moved."""
    if not row.deadline_history:
        return ""
    changes = "；".join(step_text(step) for step in row.deadline_history)
    return f"原定时限{day_text(row.original_deadline)}，调整后时限{day_text(row.deadline)}。调整记录：{changes}"


def reopen_text(reopen: Reopening | None) -> str:
    """``反弹重启（第2次，督查 张三，2027-10-02）：原因…``, ``核实未通过…``, or empty."""
    if reopen is None:
        return ""
    what = "反弹重启" if reopen.rebound else "核实未通过，重新整改"
    when = f"，{china_date(reopen.at).isoformat()}" if reopen.at else ""
    count = f"第{reopen.times}次，" if reopen.times > 1 else ""
    reason = f"：{reopen.reason}" if reopen.reason else ""
    return f"{what}（{count}{reopen.by}{when}）{reason}"
