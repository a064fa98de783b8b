"""Deadline warning colours: days counted in China's calendar, the window's edges, long-term items."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.deadlines import NO_DEADLINE, end_of_day_utc
from workflows.warnings import WarningColour, warning_for, yellow_until

G, Y, R, B = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED, WarningColour.BLUE
DUE = end_of_day_utc(date(2026, 6, 30))  # 30 June, 23:59:59 in China = 15:59:59 UTC


def china(day: str, hour: int = 9) -> datetime:
    """``hour`` o'clock in China on ``day``, as a UTC instant."""
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


@pytest.mark.parametrize(("now", "colour", "days_left"), [
    (china("2026-06-19"), G, 11),  # one day outside a ten-day window
    (china("2026-06-20"), Y, 10),  # the window's first day
    (china("2026-06-20", 0), Y, 10),  # whatever the hour: days are calendar days
    (china("2026-06-19", 23), G, 11),
    (china("2026-06-30", 23), Y, 0),  # due today, still not late
    (china("2026-07-01", 0), R, -1),  # a second after midnight in China: overdue
    (china("2026-07-11"), R, -11),
])
def test_colour_and_days_left_follow_china_calendar(now: datetime, colour: WarningColour, days_left: int) -> None:
    warning = warning_for(DUE, now, window_days=10, long_term=False)
    assert (warning.colour, warning.days_left) == (colour, days_left)
    assert warning.overdue == (colour is R)


def test_utc_evening_is_already_the_next_day_in_china() -> None:
    # 17:00 UTC on 19 June is 01:00 on 20 June in Beijing: ten days left, not eleven.
    now = datetime(2026, 6, 19, 17, 0, tzinfo=UTC)
    assert warning_for(DUE, now, window_days=10, long_term=False).days_left == 10


def test_the_window_is_configurable() -> None:
    now = china("2026-06-10")
    assert warning_for(DUE, now, window_days=10, long_term=False).colour is G
    assert warning_for(DUE, now, window_days=20, long_term=False).colour is Y
    assert warning_for(DUE, china("2026-06-30"), window_days=0, long_term=False).colour is Y


def test_long_term_items_are_blue_whatever_their_dates() -> None:
    assert warning_for(DUE, china("2026-08-01"), window_days=10, long_term=True).colour is B
    assert warning_for(DUE, china("2026-08-01"), window_days=10, long_term=True).days_left == -32
    assert warning_for(None, china("2026-08-01"), window_days=10, long_term=True).days_left is None


def test_no_deadline_is_green_without_days() -> None:
    far = datetime.fromisoformat(NO_DEADLINE)  # what a measure without a deadline gets from the plan
    for due in (None, far):
        warning = warning_for(due, china("2026-06-01"), window_days=10, long_term=False)
        assert (warning.colour, warning.days_left) == (G, None)


@given(
    due=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2028, 1, 1), timezones=st.just(UTC)),
    offset=st.integers(min_value=-60 * 24 * 60, max_value=60 * 24 * 60),
    window=st.integers(min_value=0, max_value=40),
)
def test_yellow_until_agrees_with_warning_for(due: datetime, offset: int, window: int) -> None:
    """The SQL filters' bounds (now, yellow_until) give the same colour as warning_for."""
    now = due + timedelta(minutes=offset)
    colour = warning_for(due, now, window_days=window, long_term=False).colour
    by_bounds = R if due < now else (Y if due <= yellow_until(now, window) else G)
    assert colour is by_bounds
