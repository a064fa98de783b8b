"""What each user task of the lifecycle accepts; the diagram names the form.

Validation happens before the engine sees the data, so a wrong value is a
clear error and nothing changes. Errors carry a catalogue key (``MESSAGES``) and
the field's label (``LABELS``), so the web shows them in the reader's language;
the English texts here are the defaults the command line prints. Every key is
translated in ``web.i18n`` (a test checks the two agree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from engine import text_fault

from .deadlines import deadline_iso, parse_date
from .errors import Message, ValidationError

MAX_TEXT = 5000
MAX_EVIDENCE = 50  # evidence items on one progress report
MAX_EVIDENCE_NAME = 300  # characters, as the evidence file name column holds
MAX_EVIDENCE_ID = 2**31 - 1  # an evidence id is an integer column
MAX_DATE_TEXT = 40

# Catalogue key -> English default. ``name`` is the data key, kept for API clients and logs.
MESSAGES: dict[str, str] = {
    "form.not_an_object": "the submitted data must be an object of named values",
    "form.unknown_form": "the diagram names an unknown form '{form}'",
    "form.required": "{label} is required ({name})",
    "form.not_text": "{label} must be text ({name})",
    "form.too_long": "{label} is longer than {max} characters ({name})",
    "form.nul_character": "{label} contains a NUL character, which cannot be stored ({name})",
    "form.lone_surrogate": "{label} contains a lone surrogate ({code}), which cannot be stored ({name})",
    "form.choice": "{label} must be one of {choices} ({name})",
    "form.date": "{label} must be a date such as 2026-06-30 ({name})",
    "form.evidence_list": "evidence must be a list of evidence ids or file names ({name})",
    "form.evidence_count": "at most {max} evidence items per report, got {count} ({name})",
    "form.evidence_id": "evidence id out of range ({name})",
    "form.evidence_name": "an evidence name must have 1 to {max} characters ({name})",
}

# Label key -> English default; the key is ``label.<form>.<field>``, or ``label.<field>`` when
# the field means the same in every form.
LABELS: dict[str, str] = {
    "label.measure_progress.progress": "progress",
    "label.measure_review.review_decision": "decision",
    "label.measure_review.reason": "reason",
    "label.verification.verify_decision": "decision",
    "label.verification.reason": "reason",
    "label.long_term_close.close_note": "note",
    "label.periodic_report.progress": "progress",
    "label.lookback.lookback_decision": "decision",
    "label.lookback.reason": "reason",
    "label.new_deadline": "new deadline",
    "label.evidence_name": "evidence name",
}


def _refused(key: str, **params: object) -> ValidationError:
    return ValidationError(Message(key, MESSAGES[key], params))


def _label(key: str) -> Message:
    return Message(key, LABELS[key])


def _text(data: Mapping[str, Any], form: str, name: str, *, required: bool) -> str | None:
    label = _label(f"label.{form}.{name}")
    value = data.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise _refused("form.required", label=label, name=name)
        return None
    if not isinstance(value, str):
        raise _refused("form.not_text", label=label, name=name)
    value = value.strip()
    if len(value) > MAX_TEXT:
        raise _refused("form.too_long", label=label, max=MAX_TEXT, name=name)
    _storable(value, label, name)
    return value


def _storable(value: str, label: Message, name: str) -> None:
    """Refuse text no database can store (NUL, lone surrogates) before the engine runs."""
    if text_fault(value) is None:
        return
    if "\x00" in value:
        raise _refused("form.nul_character", label=label, name=name)
    code = next(f"U+{ord(ch):04X}" for ch in value if 0xD800 <= ord(ch) <= 0xDFFF)
    raise _refused("form.lone_surrogate", label=label, code=code, name=name)


def _choice(data: Mapping[str, Any], form: str, name: str, choices: tuple[str, ...]) -> str:
    value = data.get(name)
    if value not in choices:
        raise _refused("form.choice", label=_label(f"label.{form}.{name}"), choices=", ".join(choices), name=name)
    return str(value)


def _new_deadline(data: Mapping[str, Any]) -> str | None:
    name, label = "new_deadline", _label("label.new_deadline")
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_DATE_TEXT:
        raise _refused("form.date", label=label, name=name)
    _storable(value, label, name)
    try:
        return deadline_iso(parse_date(value))
    except ValueError:
        raise _refused("form.date", label=label, name=name) from None


def _evidence(data: Mapping[str, Any]) -> list[str | int]:
    evidence = data.get("evidence") or []
    if not isinstance(evidence, list):
        raise _refused("form.evidence_list", name="evidence")
    if len(evidence) > MAX_EVIDENCE:
        raise _refused("form.evidence_count", max=MAX_EVIDENCE, count=len(evidence), name="evidence")
    for index, item in enumerate(evidence):
        where = f"evidence[{index}]"
        if isinstance(item, bool) or not isinstance(item, str | int):
            raise _refused("form.evidence_list", name=where)
        if isinstance(item, int) and not 1 <= item <= MAX_EVIDENCE_ID:
            raise _refused("form.evidence_id", name=where)
        if isinstance(item, str):
            if not item.strip() or len(item) > MAX_EVIDENCE_NAME:
                raise _refused("form.evidence_name", max=MAX_EVIDENCE_NAME, name=where)
            _storable(item, _label("label.evidence_name"), where)
    return list(evidence)


def measure_progress(data: Mapping[str, Any]) -> dict[str, Any]:
    """整改进展: required progress text and an optional list of evidence ids or file names."""
    return {"progress": _text(data, "measure_progress", "progress", required=True), "evidence": _evidence(data)}


def measure_review(data: Mapping[str, Any]) -> dict[str, Any]:
    """审批: approve, or return with a reason."""
    decision = _choice(data, "measure_review", "review_decision", ("approve", "return"))
    reason = _text(data, "measure_review", "reason", required=decision == "return")
    return {"review_decision": decision, "reason": reason}


def verification(data: Mapping[str, Any]) -> dict[str, Any]:
    """核实: pass, or fail with a reason and optionally a new deadline."""
    decision = _choice(data, "verification", "verify_decision", ("pass", "fail"))
    reason = _text(data, "verification", "reason", required=decision == "fail")
    return {"verify_decision": decision, "reason": reason, "new_deadline": _new_deadline(data)}


def long_term_close(data: Mapping[str, Any]) -> dict[str, Any]:
    """长期整改销号: the closing note."""
    return {"close_note": _text(data, "long_term_close", "close_note", required=True)}


def periodic_report(data: Mapping[str, Any]) -> dict[str, Any]:
    """阶段进展: the period's progress text."""
    return {"progress": _text(data, "periodic_report", "progress", required=True)}


def lookback(data: Mapping[str, Any]) -> dict[str, Any]:
    """回头看: consolidated, or rebound with a reason and optionally a new deadline."""
    decision = _choice(data, "lookback", "lookback_decision", ("consolidated", "rebound"))
    reason = _text(data, "lookback", "reason", required=decision == "rebound")
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
        raise _refused("form.not_an_object")
    if form_key is None:
        return dict(data)
    try:
        form = FORMS[form_key]
    except KeyError:
        raise _refused("form.unknown_form", form=form_key) from None
    return form(data)
