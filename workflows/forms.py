"""What each user task of the lifecycle accepts, declared once; the diagram names the form.

One ``Form`` per task form (``FORMS``): the same declaration validates a submission from the
command line, the web or the API (``validate``, ``check``), renders the web page (the
``tasks/form.html`` macro reads the fields) and describes the form to clients (``describe``).

Validation happens before the engine sees the data, so a wrong value is a clear error and
nothing changes. Errors carry a catalogue key (``MESSAGES``) and the field's label
(``LABELS``), so the web shows them in the reader's language; the English texts here are the
defaults the command line prints. Every key is translated in ``web.i18n`` (a test checks the
two agree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from .errors import Message, ValidationError
from .form_fields import (
    MAX_DATE_TEXT,
    MAX_EVIDENCE,
    MAX_EVIDENCE_ID,
    MAX_TEXT,
    Choice,
    Field,
    Form,
    FormErrors,
    Kind,
    When,
    clean_value,
)

__all__ = [
    "FORMS", "LABELS", "MAX_DATE_TEXT", "MAX_EVIDENCE", "MAX_EVIDENCE_ID", "MAX_TEXT",
    "MESSAGES", "Choice", "Field", "Form", "FormErrors", "Kind", "When", "check", "clean_field", "describe",
    "form_for", "from_form_fields", "label", "validate",
]

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
    "form.not_bool": "{label} must be true or false ({name})",
    "form.evidence_list": "evidence must be a list of ids of stored files ({name})",
    "form.evidence_count": "at most {max} evidence items per report, got {count} ({name})",
    "form.evidence_id": "evidence id out of range ({name})",
    "form.evidence_name": "attach files with --file; evidence in --data must be ids of stored files ({name})",
}

# Catalogue key -> English default, for every text a form shows: a field's label is
# ``label.<form>.<field>`` (or ``label.<field>`` when it means the same in every form), a
# choice's ``label.<form>.<field>.<value>``, a form's title ``label.<form>``, a hint ``help.…``.
LABELS: dict[str, str] = {
    "label.measure_progress": "submit progress",
    "label.measure_progress.progress": "progress",
    "label.measure_progress.measure_done": "the measure is done",
    "label.measure_review": "review the measure",
    "label.measure_review.review_decision": "decision",
    "label.measure_review.review_decision.approve": "approve",
    "label.measure_review.review_decision.return": "return",
    "label.measure_review.reason": "reason",
    "label.verification": "verify the problem",
    "label.verification.verify_decision": "decision",
    "label.verification.verify_decision.pass": "pass",
    "label.verification.verify_decision.fail": "fail",
    "label.verification.reason": "reason",
    "label.long_term_close": "close the long-term problem",
    "label.long_term_close.close_note": "note",
    "label.periodic_report": "periodic report",
    "label.periodic_report.progress": "progress",
    "label.lookback": "look-back review",
    "label.lookback.lookback_decision": "decision",
    "label.lookback.lookback_decision.consolidated": "consolidated",
    "label.lookback.lookback_decision.rebound": "rebound",
    "label.lookback.reason": "reason",
    "label.new_deadline": "new deadline",
    "label.evidence": "evidence",
    "help.measure_progress.measure_done": "tick when every part of the measure has been carried out",
    "help.evidence": "Several files may be attached.",
    "help.reason_when_returning": "required when returning the measure",
    "help.reason_when_failing": "required when verification fails",
    "help.reason_when_rebounding": "required when the problem has rebounded",
    "help.new_deadline_when_failing": "only when verification fails; leave empty to keep the deadlines",
    "help.new_deadline_when_rebounding": "only on a rebound; leave empty to keep the deadlines",
}


def _decision(form: str, name: str, *values: str) -> Field:
    """A required choice whose choice labels follow the key pattern."""
    return Field(name, Kind.CHOICE, f"label.{form}.{name}", required=True,
                 choices=tuple(Choice(value, f"label.{form}.{name}.{value}") for value in values))


def _reason(form: str, decision: str, value: str, help_key: str) -> Field:
    return Field("reason", Kind.TEXTAREA, f"label.{form}.reason", help_key=help_key,
                 required_when=When(decision, (value,)))


def _new_deadline(decision: str, value: str, help_key: str) -> Field:
    return Field("new_deadline", Kind.DATE, "label.new_deadline", help_key=help_key, only_when=When(decision, (value,)))


FORMS: dict[str, Form] = {form.key: form for form in (
    # 整改进展: the officer's progress, whether the measure is done, and evidence.
    Form("measure_progress", "label.measure_progress", (
        Field("progress", Kind.TEXTAREA, "label.measure_progress.progress", required=True),
        Field("measure_done", Kind.BOOL, "label.measure_progress.measure_done",
              help_key="help.measure_progress.measure_done"),
        Field("evidence", Kind.FILES, "label.evidence", help_key="help.evidence"),
    )),
    # 审批: approve, or return with a reason.
    Form("measure_review", "label.measure_review", (
        _decision("measure_review", "review_decision", "approve", "return"),
        _reason("measure_review", "review_decision", "return", "help.reason_when_returning"),
    )),
    # 核实: pass, or fail with a reason and optionally a new deadline.
    Form("verification", "label.verification", (
        _decision("verification", "verify_decision", "pass", "fail"),
        _reason("verification", "verify_decision", "fail", "help.reason_when_failing"),
        _new_deadline("verify_decision", "fail", "help.new_deadline_when_failing"),
    )),
    # 长期整改销号: the closing note.
    Form("long_term_close", "label.long_term_close", (
        Field("close_note", Kind.TEXTAREA, "label.long_term_close.close_note", required=True),
    )),
    # 阶段进展: the period's progress text and evidence.
    Form("periodic_report", "label.periodic_report", (
        Field("progress", Kind.TEXTAREA, "label.periodic_report.progress", required=True),
        Field("evidence", Kind.FILES, "label.evidence", help_key="help.evidence"),
    )),
    # 回头看: consolidated, or rebound with a reason and optionally a new deadline.
    Form("lookback", "label.lookback", (
        _decision("lookback", "lookback_decision", "consolidated", "rebound"),
        _reason("lookback", "lookback_decision", "rebound", "help.reason_when_rebounding"),
        _new_deadline("lookback_decision", "rebound", "help.new_deadline_when_rebounding"),
    )),
)}


def label(key: str) -> Message:
    """The form text ``key`` as a message (its English default from ``LABELS``)."""
    return Message(key, LABELS[key])


def _refused(key: str, **params: object) -> ValidationError:
    return ValidationError(Message(key, MESSAGES[key], params))


def form_for(form_key: str) -> Form:
    """The declaration of ``form_key``; ValidationError for a form the domain does not know."""
    try:
        return FORMS[form_key]
    except KeyError:
        raise _refused("form.unknown_form", form=form_key) from None


def check(form_key: str, data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Message]]:
    """Clean ``data`` field by field: ``(cleaned, errors)``, errors by field name in form order.

    A field asked ``only_when`` a condition holds is stored as empty when it does not; a
    ``required_when`` field is required when its condition holds. Conditions read the
    cleaned values of earlier fields.
    """
    if not isinstance(data, Mapping):
        raise _refused("form.not_an_object")
    cleaned: dict[str, Any] = {}
    errors: dict[str, Message] = {}
    for field in form_for(form_key).fields:
        try:
            cleaned[field.name] = _clean(field, data.get(field.name), cleaned)
        except ValidationError as refused:
            assert refused.message is not None
            errors[field.name] = refused.message
            cleaned[field.name] = None
    return cleaned, errors


def clean_field(form_key: str, name: str, value: Any, cleaned: Mapping[str, Any]) -> Any:
    """One field's cleaned ``value``, its conditions read from ``cleaned`` (the other fields, as
    ``check`` returned them); ``FormErrors`` on that field if refused. For a value known only
    later, such as the ids of the evidence a submission stored."""
    field = next(f for f in form_for(form_key).fields if f.name == name)
    try:
        return _clean(field, value, cleaned)
    except ValidationError as refused:
        assert refused.message is not None
        raise FormErrors({name: refused.message}) from None


def _clean(field: Field, value: Any, cleaned: Mapping[str, Any]) -> Any:
    if field.only_when is not None and not field.only_when.holds(cleaned):
        return None
    required = field.required or (field.required_when is not None and field.required_when.holds(cleaned))
    return clean_value(field, value, required=required, refuse=_refused, label=label(field.label_key))


def validate(form_key: str | None, data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned data for ``form_key``; ``FormErrors`` (a ValidationError naming the first
    wrong field) otherwise. Without a form, the data is taken as it is."""
    if not isinstance(data, Mapping):
        raise _refused("form.not_an_object")
    if form_key is None:
        return dict(data)
    cleaned, errors = check(form_key, data)
    if errors:
        raise FormErrors(errors)
    return cleaned


_TRUE_WORDS = frozenset({"on", "1", "true", "yes", "y"})


def from_form_fields(form_key: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """A browser form's text values as the data ``validate`` takes: a tick box becomes a bool.

    File fields are left out: the uploads become evidence ids, which the caller adds.
    """
    data: dict[str, Any] = {}
    for field in form_for(form_key).fields:
        if field.kind is Kind.FILES:
            continue
        raw = fields.get(field.name)
        data[field.name] = (raw or "").strip().lower() in _TRUE_WORDS if field.kind is Kind.BOOL else raw
    return data


_JSON_TYPES = {
    Kind.TEXT: "string", Kind.TEXTAREA: "string", Kind.CHOICE: "string", Kind.DATE: "string",
    Kind.BOOL: "boolean", Kind.FILES: "array",
}


def describe(form_key: str, text: Callable[[Message], str] = str) -> dict[str, Any]:
    """A JSON-Schema-like description of ``form_key`` for clients (the CLI's help, the API).

    ``text`` renders a label (default: the English default); ``x-kind``, ``x-required-when``
    and ``x-only-when`` carry what JSON Schema has no plain word for.
    """
    form = form_for(form_key)
    properties: dict[str, Any] = {}
    for field in form.fields:
        spec: dict[str, Any] = {"type": _JSON_TYPES[field.kind], "title": text(label(field.label_key)),
                                "x-kind": field.kind.value}
        if field.help_key is not None:
            spec["description"] = text(label(field.help_key))
        if field.kind in (Kind.TEXT, Kind.TEXTAREA):
            spec["maxLength"] = field.limit
        elif field.kind is Kind.CHOICE:
            spec["enum"] = [choice.value for choice in field.choices]
            spec["x-choices"] = [{"value": c.value, "title": text(label(c.label_key))} for c in field.choices]
        elif field.kind is Kind.DATE:
            spec["format"] = "date"
        elif field.kind is Kind.FILES:
            spec["maxItems"] = field.limit
            spec["items"] = {"type": "integer", "minimum": 1, "maximum": MAX_EVIDENCE_ID,
                             "description": "the id of a stored evidence file"}
        for word, condition in (("x-required-when", field.required_when), ("x-only-when", field.only_when)):
            if condition is not None:
                spec[word] = {"field": condition.field, "in": list(condition.values)}
        properties[field.name] = spec
    return {
        "form": form.key,
        "title": text(label(form.title_key)),
        "type": "object",
        "properties": properties,
        "required": [field.name for field in form.fields if field.required],
    }
