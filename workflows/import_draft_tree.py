"""A parsed plan as stored in an import draft: ``ParsedPlan`` <-> JSON and back, losslessly.

The draft keeps ``ParsedPlan.to_json_dict()`` (dates as ISO strings, line numbers as string keys)
plus a ``revision`` counter, so that a correction form sent from a page that is out of date is
refused instead of changing the wrong measure. ``plan_from_json`` rebuilds the dataclasses, which
is what the corrections edit and what ``import_plan`` is fed on confirmation.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .plan_import import (
    SECTION_KEYS,
    ParsedMeasure,
    ParsedPart,
    ParsedPlan,
    ParsedProblem,
    PlanMeta,
    StatedStats,
    UnassignedLine,
)

REVISION = "revision"


def plan_to_json(plan: ParsedPlan, revision: int = 0) -> dict[str, Any]:
    """The plan as a JSON-serialisable dict (with its counts and ``revision``)."""
    data = plan.to_json_dict()
    data[REVISION] = revision
    return data


def revision_of(data: dict[str, Any]) -> int:
    """The stored tree's revision (0 for a fresh upload)."""
    value = data.get(REVISION, 0)
    return value if isinstance(value, int) else 0


def plan_from_json(data: dict[str, Any]) -> ParsedPlan:
    """Rebuild the ``ParsedPlan`` that ``plan_to_json`` stored."""
    meta = dict(data.get("meta") or {})
    for key in ("period_start", "period_end", "feedback_date", "report_date"):
        meta[key] = _date(meta.get(key))
    sections = {key: list((data.get("sections") or {}).get(key) or []) for key in SECTION_KEYS}
    for key, lines in (data.get("sections") or {}).items():
        sections.setdefault(key, list(lines or []))
    return ParsedPlan(
        meta=PlanMeta(**meta),
        stated=StatedStats(**(data.get("stated") or {})),
        parts=[_part(p) for p in data.get("parts") or []],
        sections=sections,
        unassigned=[UnassignedLine(**u) for u in data.get("unassigned") or []],
        furniture=[UnassignedLine(**u) for u in data.get("furniture") or []],
        line_roles={int(k): v for k, v in (data.get("line_roles") or {}).items()},
        source_name=data.get("source_name") or "<text>",
    )


def _part(data: dict[str, Any]) -> ParsedPart:
    fields = {k: v for k, v in data.items() if k != "problems"}
    return ParsedPart(**fields, problems=[_problem(p) for p in data.get("problems") or []])


def _problem(data: dict[str, Any]) -> ParsedProblem:
    fields = {k: v for k, v in data.items() if k != "measures"}
    fields["deadline"] = _date(fields.get("deadline"))
    return ParsedProblem(**fields, measures=[_measure(m) for m in data.get("measures") or []])


def _measure(data: dict[str, Any]) -> ParsedMeasure:
    fields = dict(data)
    fields["deadline"] = _date(fields.get("deadline"))
    return ParsedMeasure(**fields)


def _date(value: Any) -> date | None:
    if isinstance(value, str) and value:
        return date.fromisoformat(value)
    return value if isinstance(value, date) else None
