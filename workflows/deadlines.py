"""Deadlines are dates in China Standard Time; the engine wants UTC instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")
# A measure without a deadline (long-term) is never overdue; the timer still needs a date.
NO_DEADLINE = "2999-12-31T15:59:59+00:00"
# Any date in the placeholder's year counts as "none" (tolerates other times of day that year).
_NO_DEADLINE_YEAR = datetime.fromisoformat(NO_DEADLINE).year


def has_deadline(due: datetime | None) -> bool:
    """Whether ``due`` is a real deadline rather than none or the far-off ``NO_DEADLINE`` placeholder."""
    return due is not None and due.year < _NO_DEADLINE_YEAR


def end_of_day_utc(day: date) -> datetime:
    """The last second of ``day`` in China, as a UTC instant: the moment a deadline passes."""
    return datetime.combine(day, time(23, 59, 59), CHINA).astimezone(UTC)


def deadline_iso(day: date | None) -> str | None:
    """The engine form of a deadline (ISO 8601 UTC), or None."""
    return end_of_day_utc(day).isoformat() if day is not None else None


def china_date(instant: datetime) -> date:
    """The calendar date in China of a UTC instant."""
    return instant.astimezone(CHINA).date()


def parse_date(text: str) -> date:
    """A ``YYYY-MM-DD`` date; ValueError with the text otherwise."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(f"not a date (YYYY-MM-DD): {text!r}") from None
