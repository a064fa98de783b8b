"""Routes of the dashboard area (thin: parse, authorise, call one service, render).

``/dashboard?round=<id>``: the figures of one round (default the newest the person sees) for
leaders, supervision and administrators; officers are refused (403), the signed out sent to sign in.
"""

from __future__ import annotations

from flask import abort, render_template, request

from workflows.dashboard import dashboard_figures
from workflows.ledger_scope import sees_everything
from workflows.models import Role

from ..auth import current_actor, role_required
from ..config import warning_window_days
from ..db_session import get_session
from ..formatting import display_zone
from ..services import services
from ..vendor import installed
from .blueprint import bp
from .links import STACK, chart_data, ledger_url, period_label, segment_count, segment_filters

_ID_DIGITS = 18  # more digits than any id: refused before it reaches the database


@bp.get("/dashboard")
@role_required(Role.LEADER, Role.SUPERVISION, Role.ADMIN)
def index() -> str:
    """The dashboard of the chosen round; tables with links, enhanced by charts when ECharts is installed."""
    actor = current_actor()
    figures = dashboard_figures(get_session(), actor, _round_id(request.args.get("round")),
                                now=services().workflow_engine.clock(), zone=display_zone(),
                                window_days=warning_window_days())
    return render_template(
        "dashboard/index.html", figures=figures, data=chart_data(figures) if figures else None,
        charts=installed("echarts.js"), scoped=not sees_everything(actor), stack=STACK, ledger_url=ledger_url,
        segment_count=segment_count, segment_filters=segment_filters, period_label=period_label,
    )


def _round_id(raw: str | None) -> int | None:
    """The ``round`` parameter: absent or empty for the default, a round's id, anything else 404."""
    if raw is None or raw == "":
        return None
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= _ID_DIGITS):
        abort(404)
    return int(raw)
