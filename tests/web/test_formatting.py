"""Dates shown in the display time zone (Asia/Shanghai unless configured), and the settings behind it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from web.app import create_app
from web.config import ConfigError

# 17:30 UTC on 1 December is 01:30 on 2 December in Shanghai: the day differs.
LATE_EVENING_UTC = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)


def _app(tmp_path: Path, **config: object) -> Flask:
    return create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'f.db'}", **config})


def _render(app: Flask, source: str, **context: object) -> str:
    with app.test_request_context("/"):
        return render_template_string(source, **context)


def test_times_are_shown_in_shanghai_by_default(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert app.config["DISPLAY_TIMEZONE"] == "Asia/Shanghai"
    shown = _render(app, "{{ t|local_datetime }} / {{ t|local_dt }} / {{ t|local_date }}", t=LATE_EVENING_UTC)
    assert shown == "2026-12-02 01:30 / 2026-12-02 01:30 / 2026-12-02"
    assert _render(app, "{{ t|local_datetime }}", t=datetime(2026, 12, 2, 6, 5, tzinfo=UTC)) == "2026-12-02 14:05"


def test_naive_times_are_utc_plain_dates_stay_and_nothing_shows_as_nothing(tmp_path: Path) -> None:
    app = _app(tmp_path)
    naive = LATE_EVENING_UTC.replace(tzinfo=None)  # SQLite hands back what was stored: UTC
    assert _render(app, "{{ t|local_datetime }}", t=naive) == "2026-12-02 01:30"
    assert _render(app, "{{ d|local_date }}|{{ d|local_datetime }}", d=date(2026, 6, 30)) == "2026-06-30|2026-06-30"
    assert _render(app, "[{{ none|local_datetime }}][{{ none|local_date }}]", none=None) == "[][]"


def test_the_display_zone_is_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert _render(_app(tmp_path, DISPLAY_TIMEZONE="UTC"), "{{ t|local_date }}", t=LATE_EVENING_UTC) == "2026-12-01"
    monkeypatch.setenv("RECTIFLOW_DISPLAY_TIMEZONE", "America/New_York")
    assert _render(_app(tmp_path), "{{ t|local_datetime }}", t=LATE_EVENING_UTC) == "2026-12-01 12:30"


@pytest.mark.parametrize("zone", ["Mars/Olympus_Mons", "", "../../etc/passwd", "zone.tab", "Asia", 8])
def test_an_unknown_zone_stops_the_start_up(tmp_path: Path, zone: object) -> None:
    with pytest.raises(ConfigError, match="DISPLAY_TIMEZONE"):
        _app(tmp_path, DISPLAY_TIMEZONE=zone)


def test_the_warning_window_defaults_to_ten_days_and_may_be_zero(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _app(tmp_path).config["WARNING_WINDOW_DAYS"] == 10
    monkeypatch.setenv("RECTIFLOW_WARNING_WINDOW_DAYS", "0")
    assert _app(tmp_path).config["WARNING_WINDOW_DAYS"] == 0


@pytest.mark.parametrize("raw", ["-1", "ten", "1.5"])
def test_a_bad_warning_window_stops_the_start_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("RECTIFLOW_WARNING_WINDOW_DAYS", raw)
    with pytest.raises(ConfigError, match="WARNING_WINDOW_DAYS"):
        _app(tmp_path)


@pytest.mark.parametrize("value", [True, -3, "10"])
def test_a_warning_window_that_is_not_a_whole_number_from_code_is_refused(tmp_path: Path, value: object) -> None:
    with pytest.raises(ConfigError, match="WARNING_WINDOW_DAYS"):
        _app(tmp_path, WARNING_WINDOW_DAYS=value)
