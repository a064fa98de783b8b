"""The dashboard's figures as the page shows them: each with the filtered ledger behind it.

The ledger (``/ledger``, endpoint ``ledger.index``) filters by ``round``, ``part`` (a part's id),
``unit`` (a unit's code), ``status`` (a ``ProblemStatus`` member's name in lower case) and
``colour`` (red, yellow, green, blue). The same links go into the tables (without JavaScript) and
into the charts' data block (``chart_data``), which ``static/dashboard.js`` reads.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from flask import current_app, url_for

from workflows.dashboard import DashboardFigures, Tally
from workflows.models import ProblemStatus
from workflows.warnings import WarningColour

from ..i18n import status_label, t

# The ledger's filters, in the order its URLs carry them.
FILTERS = ("part", "unit", "status", "colour")
# Drawn in the order of the stack: done first, then open work from calm to urgent.
STACK = ("done", WarningColour.GREEN.value, WarningColour.BLUE.value, WarningColour.YELLOW.value,
         WarningColour.RED.value)


def ledger_url(round_id: int, **filters: str | int | None) -> str:
    """``/ledger?round=…&part=…`` (the filters that are set, in a fixed order)."""
    unknown = filters.keys() - set(FILTERS)
    if unknown:
        raise ValueError(f"the ledger has no filter {sorted(unknown)}")
    params: dict[str, Any] = {"round": round_id}
    params.update((name, filters[name]) for name in FILTERS if filters.get(name) not in (None, ""))
    if "ledger.index" in current_app.view_functions:
        return url_for("ledger.index", **params)
    return f"/ledger?{urlencode(params)}"  # the ledger's page is built elsewhere, with these parameters


def segment_filters(segment: str) -> dict[str, str]:
    """The ledger filter of one stacked segment: done measures, or open ones of a colour."""
    return {"status": ProblemStatus.DONE.name.lower()} if segment == "done" else {"colour": segment}


def segment_count(tally: Tally, segment: str) -> int:
    """How many of ``tally``'s measures fall in ``segment``."""
    return tally.measures_done if segment == "done" else tally.open_by_colour[WarningColour(segment)]


def chart_data(figures: DashboardFigures) -> dict[str, Any]:
    """The figures for the charts: labels, values and the ledger link of every bar, slice and point."""
    round_id = figures.round.id
    return {
        "segments": [{"key": s, "name": t(f"dashboard.segment.{s}")} for s in STACK],
        "parts": [_bars(tally, ledger_url(round_id, part=tally.key), round_id, part=tally.key)
                  for tally in figures.parts],
        "units": [_bars(tally, ledger_url(round_id, unit=tally.key), round_id, unit=tally.key)
                  for tally in figures.units],
        "statuses": [{"key": status.name.lower(), "name": status_label(status), "value": count,
                      "url": ledger_url(round_id, status=status.name.lower())} for status, count in figures.statuses],
        "trend": {
            "name": t(f"dashboard.trend.{figures.trend_by}"),
            "points": [{"label": period_label(figures.trend_by, p.start), "value": p.closed,
                        "url": ledger_url(round_id, status=ProblemStatus.CLOSED.name.lower())}
                       for p in figures.trend],
        },
        "texts": {"measures": t("dashboard.chart.measures"), "problems": t("dashboard.chart.problems"),
                  "closed": t("dashboard.chart.closed")},
    }


def period_label(by: str, start: date) -> str:
    """``2026-03`` for a month, ``03-02`` (its Monday) for a week."""
    return start.strftime("%Y-%m") if by == "month" else start.strftime("%m-%d")


def _bars(tally: Tally, url: str, round_id: int, **group: str) -> dict[str, Any]:
    return {
        "label": tally.label, "url": url, "measures": tally.measures, "rate": tally.measure_rate,
        "values": {s: segment_count(tally, s) for s in STACK},
        "urls": {s: ledger_url(round_id, **group, **segment_filters(s)) for s in STACK},
    }
