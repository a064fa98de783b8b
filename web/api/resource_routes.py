"""API routes over the ledger and one's reminders: rounds (with their counters), problems and measures
(the ledger as JSON, with its filters and scope), reminders (one's own; marking read).

Thin: the declared arguments are validated by flask-smorest, the services (``workflows.api_resources``,
``workflows.reminder_list``) apply ``workflows.ledger_scope``, and a problem or measure the caller may
not see is a 404 like one that does not exist. Listings are keyset pages by id:
``{"items": [...], "next_cursor": str | null}``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflows.api_resources import (
    after_cursor,
    ledger_problem_ids,
    problem_rows,
    round_counters,
    visible_measure,
    visible_problem,
)
from workflows.ledger_page import parse_filters
from workflows.models import InspectionRound, Problem, Reminder
from workflows.reminder_list import mark_read

from ..auth import current_person
from ..config import warning_window_days
from ..db_session import get_session
from ..services import services
from .core import DEFAULT_PAGE, ApiError, api_actor, bp, decode_cursor, page_of
from .resource_json import measure_json, problem_json, reminder_json, round_detail_json, round_json
from .resource_schemas import (
    MarkedSchema,
    MarkReadArgs,
    MeasureSchema,
    PageArgs,
    ProblemArgs,
    ProblemPage,
    ProblemSchema,
    ReminderArgs,
    ReminderPage,
    RoundDetailSchema,
    RoundPage,
)

_FILTERS = ("round", "part", "unit", "status", "colour", "q")


@bp.route("/rounds", methods=["GET"])
@bp.arguments(PageArgs, location="query", as_kwargs=True)
@bp.response(200, RoundPage)
def rounds(cursor: str | None = None, limit: int | None = None) -> dict[str, Any]:
    """Inspection rounds by id (every signed-in person sees the rounds, as on the ledger page)."""
    page = page_of(get_session(), select(InspectionRound), InspectionRound.id.expression, cursor=cursor, limit=limit)
    return {"items": [round_json(r) for r in page.items], "next_cursor": page.next_cursor}


@bp.route("/rounds/<int:round_id>", methods=["GET"])
@bp.response(200, RoundDetailSchema)
def round_detail(round_id: int) -> dict[str, Any]:
    """One round and its counters over the rows the caller may see (the ledger page's counters)."""
    found = round_counters(get_session(), api_actor(), round_id, now=_now(), window_days=warning_window_days())
    return round_detail_json(found)


@bp.route("/problems", methods=["GET"])
@bp.arguments(ProblemArgs, location="query", as_kwargs=True)
@bp.response(200, ProblemPage)
def problems(cursor: str | None = None, limit: int | None = None, **args: Any) -> dict[str, Any]:
    """The ledger's problems (of ``round``, default the newest) with the filters of the ledger page and
    the rows the caller may see; an officer sees their own unit's."""
    filters, bad = parse_filters({name: str(args[name]) for name in _FILTERS if args.get(name) is not None})
    if bad:
        raise ApiError(400, "bad_filter", f"not understood: {', '.join(bad)}")
    session, now, days = get_session(), _now(), warning_window_days()
    ids, shown = ledger_problem_ids(session, api_actor(), filters, now=now, window_days=days)
    window = after_cursor(ids, decode_cursor(cursor), (limit or DEFAULT_PAGE) + 1)
    query = select(Problem).where(Problem.id.in_(window))
    page = page_of(session, query, Problem.id.expression, cursor=cursor, limit=limit)
    found = problem_rows(session, list(page.items), shown, now=now, window_days=days)
    return {"items": [problem_json(p) for p in found], "next_cursor": page.next_cursor}


@bp.route("/problems/<int:problem_id>", methods=["GET"])
@bp.response(200, ProblemSchema)
def problem_detail(problem_id: int) -> dict[str, Any]:
    """One problem: status, colour, flag, and its measures the caller may see with their deadline history."""
    found = visible_problem(get_session(), api_actor(), problem_id, now=_now(), window_days=warning_window_days())
    return problem_json(found)


@bp.route("/measures/<int:measure_id>", methods=["GET"])
@bp.response(200, MeasureSchema)
def measure_detail(measure_id: int) -> dict[str, Any]:
    """One measure (a ledger row), if the caller may see it."""
    row = visible_measure(get_session(), api_actor(), measure_id, now=_now(), window_days=warning_window_days())
    return measure_json(row)


@bp.route("/reminders", methods=["GET"])
@bp.arguments(ReminderArgs, location="query", as_kwargs=True)
@bp.response(200, ReminderPage)
def reminders(cursor: str | None = None, limit: int | None = None, unread: bool = False) -> dict[str, Any]:
    """The caller's own reminders by id (``unread=true``: only unread ones)."""
    query = select(Reminder).where(Reminder.recipient == current_person().login)
    if unread:
        query = query.where(Reminder.read_at.is_(None))
    page = page_of(get_session(), query, Reminder.id.expression, cursor=cursor, limit=limit)
    return {"items": [reminder_json(r) for r in page.items], "next_cursor": page.next_cursor}


@bp.route("/reminders/read", methods=["POST"])
@bp.arguments(MarkReadArgs, location="json", as_kwargs=True)
@bp.response(200, MarkedSchema)
def reminders_read(ids: list[int] | None = None) -> dict[str, Any]:
    """Mark the caller's reminders ``ids`` (or all of them) read; one that is not theirs is a 404 and
    nothing is marked."""
    marked = mark_read(get_session(), current_person().login, _now(), reminder_ids=ids)
    return {"marked": marked}


def _now() -> datetime:
    return services().workflow_engine.clock()
