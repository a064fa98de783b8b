"""Deadline warning colours (预警): green, yellow, red and blue, as supervision systems show them.

* red — overdue: the deadline (the end of its day in China) has passed;
* yellow — inside the warning window: the deadline is at most ``window_days`` calendar days away;
* green — outside the window, or no deadline set yet;
* blue — a long-term item (长期整改), which has no deadline to warn about.

Days are counted in China's calendar, the way a deadline reads on paper ("2027年6月30日前"):
on 20 June a 30 June deadline has 10 days left, whatever the hour.

The ledger's items (``workflows.ledger.view``) take their colour from the same function:

* a measure warns while its work is still to do (未启动, 待整改, 整改中, 待审批, 逾期) and its problem
  is not closed; a done measure (已完成) or one of a closed problem (已销号, 回头看, 已巩固) has no
  warning (None), shown as the neutral ``已完成`` (grey in the Excel sheet, ``null`` in JSON);
* a problem has the most urgent colour of its open measures (red > yellow > blue > green; among
  equals the fewest days left), blue when it is long-term, and its flag's 督办时限 (挂牌督办)
  counts like a measure's deadline that is never long-term, so an overdue flag makes it red; a
  closed problem, or one whose measures are all done and that is neither long-term nor flagged
  (待核实), has none.

Nothing here reads the wall clock: every caller passes ``now`` (the engine's clock) and the
configured window (``WARNING_WINDOW_DAYS``).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from .deadlines import china_date, end_of_day_utc, has_deadline
from .models import ProblemStatus as S

__all__ = [
    "CLOSED", "COLOUR_WORDS", "DONE_WORD", "MEASURE_OPEN", "DeadlineWarning", "WarningColour", "days_text",
    "flag_warning", "has_deadline", "measure_warning", "most_urgent", "problem_warning", "warning_for",
    "warning_json", "warning_text", "yellow_until",
]

# A problem in one of these statuses has been closed: nothing of it is late any more.
CLOSED = frozenset({S.CLOSED, S.LOOK_BACK, S.CONSOLIDATED})
# A measure in one of these statuses is still to be done, so its deadline warns.
MEASURE_OPEN = frozenset({S.NOT_STARTED, S.PENDING, S.IN_PROGRESS, S.AWAITING_APPROVAL, S.OVERDUE})


class WarningColour(enum.StrEnum):
    """A warning colour; the value is also the CSS class suffix and the filter value."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    BLUE = "blue"


# The colours' words in the ledger (CLI, Excel); the neutral state of finished work.
COLOUR_WORDS = {WarningColour.RED: "红", WarningColour.YELLOW: "黄", WarningColour.GREEN: "绿",
                WarningColour.BLUE: "蓝"}
DONE_WORD = "已完成"
_SEVERITY = {WarningColour.GREEN: 1, WarningColour.BLUE: 2, WarningColour.YELLOW: 3, WarningColour.RED: 4}


@dataclass(frozen=True)
class DeadlineWarning:
    """A deadline's colour and the calendar days left (negative when overdue; None without a deadline)."""

    colour: WarningColour
    days_left: int | None

    @property
    def overdue(self) -> bool:
        """Whether the deadline has passed."""
        return self.colour is WarningColour.RED


def warning_for(due: datetime | None, now: datetime, *, window_days: int, long_term: bool) -> DeadlineWarning:
    """The warning colour of a deadline ``due`` (UTC instant) at ``now``.

    A long-term item is blue whatever its dates (its days left are still given when it has a
    deadline); an item without a deadline is green.
    """
    days_left = (china_date(due) - china_date(now)).days if due is not None and has_deadline(due) else None
    if long_term:
        return DeadlineWarning(WarningColour.BLUE, days_left)
    if due is None or days_left is None:
        return DeadlineWarning(WarningColour.GREEN, None)
    if now > due:
        return DeadlineWarning(WarningColour.RED, days_left)
    if days_left <= window_days:
        return DeadlineWarning(WarningColour.YELLOW, days_left)
    return DeadlineWarning(WarningColour.GREEN, days_left)


def yellow_until(now: datetime, window_days: int) -> datetime:
    """The last instant a deadline may fall on and still be yellow at ``now`` (for SQL filters).

    A deadline ``due`` with ``now <= due <= yellow_until(now, w)`` is yellow (if not long-term);
    one after it is green; one before ``now`` is red.
    """
    return end_of_day_utc(china_date(now) + timedelta(days=window_days))


def measure_warning(deadline: date | None, status: S, problem_status: S, now: datetime, *,
                    window_days: int, long_term: bool) -> DeadlineWarning | None:
    """A measure's warning at ``now``: None once it is done or its problem closed (see the module)."""
    if problem_status in CLOSED or status not in MEASURE_OPEN:
        return None
    due = end_of_day_utc(deadline) if deadline is not None else None
    return warning_for(due, now, window_days=window_days, long_term=long_term)


def flag_warning(deadline: date, problem_status: S, now: datetime, *, window_days: int) -> DeadlineWarning | None:
    """A flag's 督办时限 at ``now`` (never blue: a flag is about time); None once the problem is closed."""
    if problem_status in CLOSED:
        return None
    return warning_for(end_of_day_utc(deadline), now, window_days=window_days, long_term=False)


def problem_warning(measures: Iterable[DeadlineWarning | None], problem_status: S, *, long_term: bool,
                    flag: DeadlineWarning | None = None) -> DeadlineWarning | None:
    """A problem's warning from its measures' and its flag's (see the module); None when closed."""
    if problem_status in CLOSED:
        return None
    found = [w for w in measures if w is not None]
    if long_term and not found:
        found.append(DeadlineWarning(WarningColour.BLUE, None))
    if flag is not None:
        found.append(flag)
    return most_urgent(found)


def most_urgent(warnings: Iterable[DeadlineWarning]) -> DeadlineWarning | None:
    """The worst of ``warnings`` (red > yellow > blue > green), the fewest days left among equals."""
    return min(warnings, key=lambda w: (-_SEVERITY[w.colour], w.days_left if w.days_left is not None else 10**9),
               default=None)


def days_text(warning: DeadlineWarning) -> str:
    """``剩5天``, ``今日到期``, ``逾期3天``, ``已逾期``, ``未设时限``, or ``长期整改`` for a long-term item
    without a date: the inbox's words, without spaces (a terminal column splits on them)."""
    days = warning.days_left
    if days is None:
        return "长期整改" if warning.colour is WarningColour.BLUE else "未设时限"
    if warning.overdue or days < 0:
        return f"逾期{-days}天" if days < 0 else "已逾期"
    return "今日到期" if days == 0 else f"剩{days}天"


def warning_text(warning: DeadlineWarning | None) -> str:
    """``红（逾期3天）``, ``黄（剩5天）``, ``绿（剩40天）``, ``蓝（长期整改）``; ``已完成`` for none."""
    if warning is None:
        return DONE_WORD
    return f"{COLOUR_WORDS[warning.colour]}（{days_text(warning)}）"


def warning_json(warning: DeadlineWarning | None) -> dict[str, Any] | None:
    """``{"colour": "red", "days_left": -3, "text": "红（逾期3天）"}``; None (``null``) for none."""
    if warning is None:
        return None
    return {"colour": warning.colour.value, "days_left": warning.days_left, "text": warning_text(warning)}
