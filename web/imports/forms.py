"""The correction forms of the preview: each action's fields read into one call of ``import_draft_edits``.

Every form carries the tree's ``revision``; a field that is missing or malformed is a
``ValidationError`` with a keyed message, shown on the preview as a flash.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from functools import partial

from werkzeug.datastructures import MultiDict

from workflows import import_draft_edits as edits
from workflows.plan_import import ParsedPlan

Edit = Callable[[ParsedPlan], None]
ACTIONS = ("rename", "move", "split", "merge", "promote", "fill")


def revision(form: MultiDict[str, str]) -> int:
    """The revision of the tree the form was made from (-1 when missing: refused as stale)."""
    raw = form.get("revision", "")
    return int(raw) if raw.isascii() and raw.isdecimal() and len(raw) <= 9 else -1


def parse_edit(action: str, form: MultiDict[str, str]) -> Edit:
    """The correction ``action`` asks for, ready to apply to the draft's plan."""
    get = form.get
    if action == "rename":
        return partial(edits.rename, number=get("number", ""), text=get("text", ""))
    if action == "move":
        return partial(edits.move_measure, number=get("number", ""), to_problem=get("to_problem", ""))
    if action == "split":
        after = get("after", "").strip()
        if after:
            return partial(edits.split_measure, number=get("number", ""), after_sentence=_int(after))
        return partial(edits.split_measure, number=get("number", ""), first=get("first", ""),
                       second=get("second", ""))
    if action == "merge":
        return partial(edits.merge_with_next, number=get("number", ""))
    if action == "promote":
        return partial(edits.promote_line, lineno=_int(get("line", "")), part_number=get("part", ""),
                       title=get("title") or None)
    if action == "fill":
        return partial(edits.fill_measure, number=get("number", ""), deadline=_date(get("deadline", "")),
                       long_term=get("long_term") == "1", leader=get("leader", ""), units=get("units", ""))
    raise edits.refused("no_item", "there is no item {number}", number=action[:20])


def _int(raw: str) -> int:
    raw = raw.strip()
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= 9):
        raise edits.refused("no_item", "there is no item {number}", number=raw[:20])
    return int(raw)


def _date(raw: str) -> date | None:
    raw = raw.strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise edits.refused("bad_date", "the date must look like 2026-06-30") from None
