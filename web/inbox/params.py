"""The inbox's query string: read into an ``InboxQuery`` (bad values fall back to defaults) and
written back into links (tabs, pages, sorting) that keep the other choices."""

from __future__ import annotations

from typing import Any, TypeVar

from flask import url_for
from werkzeug.datastructures import MultiDict

from workflows.inbox import MAX_PAGE, InboxQuery, Sort, Tab
from workflows.inbox_filters import MAX_SEARCH, InboxFilters
from workflows.stages import Stage
from workflows.warnings import WarningColour

E = TypeVar("E", Tab, Sort, WarningColour)

def parse_query(args: MultiDict[str, str]) -> InboxQuery:
    """The tab, filters, order and page asked for; anything malformed is ignored, never an error."""
    filters = InboxFilters(
        round_id=_positive(args.get("round")),
        part_id=_positive(args.get("part")),
        unit=(args.get("unit") or "").strip()[:100] or None,
        stage=_choice(args.get("step"), Stage),
        colour=_enum(args.get("colour"), WarningColour),
        overdue=args.get("overdue") in ("1", "on", "true"),
        text=" ".join((args.get("q") or "").split())[:MAX_SEARCH],
    )
    return InboxQuery(
        tab=_enum(args.get("tab"), Tab) or Tab.MINE,
        filters=filters,
        sort=_enum(args.get("sort"), Sort),
        page=min(_positive(args.get("page")) or 1, MAX_PAGE),
    )


def query_args(query: InboxQuery) -> dict[str, Any]:
    """``query`` as query-string arguments, leaving out defaults (short, shareable links)."""
    f = query.filters
    values: dict[str, Any] = {
        "tab": query.tab.value if query.tab is not Tab.MINE else None,
        "round": f.round_id, "part": f.part_id, "unit": f.unit, "step": f.stage,
        "colour": f.colour.value if f.colour else None, "overdue": "1" if f.overdue else None,
        "q": f.text or None,
        "sort": query.sort.value if query.sort else None,
        "page": query.page if query.page > 1 else None,
    }
    return {name: value for name, value in values.items() if value is not None}


def inbox_url(query: InboxQuery, **changes: Any) -> str:
    """The inbox URL of ``query`` with ``changes`` (``None`` removes an argument)."""
    args = query_args(query)
    args.update(changes)
    return url_for("inbox.index", **{name: value for name, value in args.items() if value is not None})


def tab_url(query: InboxQuery, tab: Tab) -> str:
    """The first page of ``tab`` with the same filters (each tab keeps its own default order)."""
    return inbox_url(query, tab=tab.value if tab is not Tab.MINE else None, sort=None, page=None)


def _positive(value: str | None) -> int | None:
    if value is None or not value.isascii() or not value.isdecimal() or len(value) > 9:
        return None
    number = int(value)
    return number if number > 0 else None


def _enum(value: str | None, kind: type[E]) -> E | None:
    try:
        return kind(value) if value else None
    except ValueError:
        return None


def _choice(value: str | None, kind: type[Stage]) -> str | None:
    return value if value in {member.value for member in kind} else None
