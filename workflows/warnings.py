"""Deadline warning colours (预警): green, yellow, red and blue, as supervision systems show them.

* red — overdue: the deadline (the end of its day in China) has passed;
* yellow — inside the warning window: the deadline is at most ``window_days`` calendar days away;
* green — outside the window, or no deadline set yet;
* blue — a long-term item (长期整改), which has no deadline to warn about.

Days are counted in China's calendar, the way a deadline reads on paper ("2027年6月30日前"):
on 20 June a 30 June deadline has 10 days left, whatever the hour.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from .deadlines import china_date, end_of_day_utc, has_deadline

__all__ = ["DeadlineWarning", "WarningColour", "has_deadline", "warning_for", "yellow_until"]


class WarningColour(enum.StrEnum):
    """A warning colour; the value is also the CSS class suffix and the filter value."""

    GREEN = "green"
    YELLOW = "yellow"
    RED = "red"
    BLUE = "blue"


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
