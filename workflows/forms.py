"""What each user task of the lifecycle accepts; the diagram names the form.

Validation happens before the engine sees the data, so a wrong value is a
clear error and nothing changes.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine import text_fault

from .deadlines import deadline_iso, parse_date
from .errors import ValidationError

MAX_TEXT = 5000
MAX_EVIDENCE = 50  # evidence items on one progress report
MAX_EVIDENCE_NAME = 300  # characters, as the evidence file name column holds
MAX_EVIDENCE_ID = 2**31 - 1  # an evidence id is an integer column
MAX_DATE_TEXT = 40


def _text(data: Mapping[str, Any], name: str, label: str, *, required: bool) -> str | None:
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise ValidationError(f"{label} is required ({name})")
        return None
    if not isinstance(value, str):
        raise ValidationError(f"{label} must be text ({name})")
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise ValidationError(f"{label} is longer than {MAX_TEXT} characters ({name})")
    _storable(value, label, name)
    return value


def _storable(value: str, label: str, name: str) -> None:
    """Refuse text no database can store (NUL, lone surrogates) before the engine runs."""
    fault = text_fault(value)
    if fault:
        raise ValidationError(f"{label} {fault}, which cannot be stored ({name})")


def _choice(data: Mapping[str, Any], name: str, label: str, choices: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in choices:
        raise ValidationError(f"{label} must be one of {', '.join(choices)} ({name})")
    return str(value)


def _new_deadline(data: Mapping[str, Any]) -> str | None:
    value = data.get("new_deadline")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DATE_TEXT:
        raise ValidationError("new deadline must be a date such as 2026-06-30 (new_deadline)")
    _storable(value, "new deadline", "new_deadline")
    try:
        return deadline_iso(parse_date(value))
    except ValueError as exc:
        raise ValidationError(f"new deadline: {exc}") from None


def _evidence(data: Mapping[str, Any]) -> list[str | int]:
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list):
        raise ValidationError("evidence must be a list of evidence ids or file names (evidence)")
    if len(evidence) > MAX_EVIDENCE:
        raise ValidationError(f"at most {MAX_EVIDENCE} evidence items per report, got {len(evidence)} (evidence)")
    for index, item in enumerate(evidence):
        where = f"evidence[{index}]"
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise ValidationError(f"evidence must be a list of evidence ids or file names ({where})")
        if isinstance(item, int) and not 1 <= item <= MAX_EVIDENCE_ID:
            raise ValidationError(f"evidence id out of range ({where})")
        if isinstance(item, str):
            if not item.strip() or len(item) > MAX_EVIDENCE_NAME:
                raise ValidationError(f"an evidence name must have 1 to {MAX_EVIDENCE_NAME} characters ({where})")
            _storable(item, "evidence name", where)
    return list(evidence)


def measure_progress(data: Mapping[str, Any]) -> dict[str, Any]:
    """整改进展: required progress text and an optional list of evidence ids or file names."""
    return {"progress": _text(data, "progress", "整改进展 progress", required=True), "evidence": _evidence(data)}


def measure_review(data: Mapping[str, Any]) -> dict[str, Any]:
    """审批: approve, or return with a reason."""
    decision = _choice(data, "review_decision", "审批意见 decision", ("approve", "return"))
    reason = _text(data, "reason", "退回理由 reason", required=decision == "return")
    return {"review_decision": decision, "reason": reason}


def verification(data: Mapping[str, Any]) -> dict[str, Any]:
    """核实: pass, or fail with a reason and optionally a new deadline."""
    decision = _choice(data, "verify_decision", "核实结论 decision", ("pass", "fail"))
    reason = _text(data, "reason", "未通过理由 reason", required=decision == "fail")
    return {"verify_decision": decision, "reason": reason, "new_deadline": _new_deadline(data)}


def long_term_close(data: Mapping[str, Any]) -> dict[str, Any]:
    """长期整改销号: the closing note."""
    return {"close_note": _text(data, "close_note", "销号意见 note", required=True)}


def periodic_report(data: Mapping[str, Any]) -> dict[str, Any]:
    """阶段进展: the period's progress text."""
    return {"progress": _text(data, "progress", "阶段进展 progress", required=True)}


def lookback(data: Mapping[str, Any]) -> dict[str, Any]:
    """回头看: consolidated, or rebound with a reason and optionally a new deadline."""
    decision = _choice(data, "lookback_decision", "回头看结论 decision", ("consolidated", "rebound"))
    reason = _text(data, "reason", "反弹情况 reason", required=decision == "rebound")
    return {"lookback_decision": decision, "reason": reason, "new_deadline": _new_deadline(data)}


FORMS: dict[str, Callable[[Mapping[str, Any]], dict[str, Any]]] = {
    "measure_progress": measure_progress,
    "measure_review": measure_review,
    "verification": verification,
    "long_term_close": long_term_close,
    "periodic_report": periodic_report,
    "lookback": lookback,
}


def validate(form_key: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned data for ``form_key``; ValidationError naming the field otherwise."""
    if not isinstance(data, Mapping):
        raise ValidationError("the submitted data must be an object of named values")
    if form_key is None:
        return dict(data)
    try:
        form = FORMS[form_key]
    except KeyError:
        raise ValidationError(f"the diagram names an unknown form '{form_key}'") from None
    return form(data)
