"""Dates and times as people read them: UTC from the database, shown in ``DISPLAY_TIMEZONE``.

The database and the engine keep UTC everywhere; only here, at the edge, does a time
become local. Templates use the filters ``local_datetime`` (alias ``local_dt``),
e.g. ``2026-12-02 14:05``, and ``local_date``, e.g. ``2026-12-02`` — the year-month-day
order Chinese readers expect, and unambiguous in English too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo

from flask import Flask, current_app

_ZONE_KEY = "rectiflow_display_zone"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
DATE_FORMAT = "%Y-%m-%d"


def init_app(app: Flask) -> None:
    """Register the filters on ``app``; the zone (validated by ``web.config``) is built once here."""
    app.extensions[_ZONE_KEY] = ZoneInfo(app.config["DISPLAY_TIMEZONE"])
    app.jinja_env.filters.update(local_datetime=local_datetime, local_dt=local_datetime, local_date=local_date)


def display_zone() -> tzinfo:
    """The current app's display time zone."""
    zone: tzinfo = current_app.extensions[_ZONE_KEY]
    return zone


def to_local(value: datetime, zone: tzinfo | None = None) -> datetime:
    """``value`` (UTC; a naive value is taken as UTC) in ``zone`` (default: the display zone)."""
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return aware.astimezone(zone or display_zone())


def local_datetime(value: datetime | date | None) -> str:
    """``2026-12-02 14:05`` in the display zone; a plain date as ``local_date``; ``""`` for none."""
    if value is None:
        return ""
    if not isinstance(value, datetime):
        return value.strftime(DATE_FORMAT)
    return to_local(value).strftime(DATETIME_FORMAT)


def local_date(value: datetime | date | None) -> str:
    """``2026-12-02``: the day a UTC time falls on in the display zone (a plain date as it is)."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = to_local(value)
    return value.strftime(DATE_FORMAT)
