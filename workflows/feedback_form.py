"""The triage form of public feedback (意见建议处理): reply, forward to a unit as a new problem, or dismiss.

Declared with the same parts as the lifecycle's task forms (``workflows.form_fields``), but kept
out of ``workflows.forms.FORMS`` on purpose: a form there may be completed by the generic task
page and ``rectiflow complete``, which know nothing of feedback. This one is completed only by
``workflows.feedback.triage``, which applies the decision in the transaction that completes
the task, so a triaged opinion can never be left without its reply, reason or problem.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .errors import Message, ValidationError
from .form_fields import Choice, Field, Form, FormErrors, Kind, When, clean_value
from .forms import MESSAGES

FORM_KEY = "feedback_triage"  # the diagram's ``form`` property (bpmn/feedback_triage.bpmn)
REPLY = "reply"
FORWARD = "forward"
DISMISS = "dismiss"
DECISIONS = (REPLY, FORWARD, DISMISS)
MAX_REPLY = 2000
MAX_ID_DIGITS = 18  # a part id: more digits than any id is refused before the database sees it

# Catalogue key -> English default; the web translates every key (web/public/texts.py).
LABELS: dict[str, str] = {
    "label.feedback_triage": "triage public feedback",
    "label.feedback_triage.decision": "decision",
    "label.feedback_triage.decision.reply": "reply to the sender",
    "label.feedback_triage.decision.forward": "forward to a unit as a new problem",
    "label.feedback_triage.decision.dismiss": "dismiss",
    "label.feedback_triage.reply": "reply",
    "label.feedback_triage.unit": "responsible unit",
    "label.feedback_triage.part": "round and part",
    "label.feedback_triage.reason": "reason",
    "help.feedback_triage.reason": "required when dismissing; kept with the feedback",
}


def _when(value: str) -> When:
    return When("decision", (value,))


TRIAGE_FORM = Form(FORM_KEY, "label.feedback_triage", (
    Field("decision", Kind.CHOICE, "label.feedback_triage.decision", required=True,
          choices=tuple(Choice(v, f"label.feedback_triage.decision.{v}") for v in DECISIONS)),
    Field("reply", Kind.TEXTAREA, "label.feedback_triage.reply", max_length=MAX_REPLY,
          required_when=_when(REPLY), only_when=_when(REPLY)),
    # The unit's code and the part's id: chosen from lists on the page, resolved by the service.
    Field("unit", Kind.TEXT, "label.feedback_triage.unit", max_length=50,
          required_when=_when(FORWARD), only_when=_when(FORWARD)),
    Field("part", Kind.TEXT, "label.feedback_triage.part", max_length=MAX_ID_DIGITS,
          required_when=_when(FORWARD), only_when=_when(FORWARD)),
    Field("reason", Kind.TEXTAREA, "label.feedback_triage.reason", max_length=MAX_REPLY,
          help_key="help.feedback_triage.reason", required_when=_when(DISMISS)),
))


def label(key: str) -> Message:
    """The form text ``key`` as a message (its English default from ``LABELS``)."""
    return Message(key, LABELS[key])


def _refused(key: str, **params: object) -> ValidationError:
    return ValidationError(Message(key, MESSAGES[key], params))


def check_triage(data: Mapping[str, Any]) -> dict[str, Any]:
    """The cleaned triage data; ``FormErrors`` (one message per field, in form order) otherwise.

    A field asked only for another decision is stored as empty, as in the lifecycle's forms.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, Message] = {}
    for field in TRIAGE_FORM.fields:
        value = data.get(field.name)
        try:
            if field.only_when is not None and not field.only_when.holds(cleaned):
                cleaned[field.name] = None
                continue
            required = field.required or (field.required_when is not None and field.required_when.holds(cleaned))
            cleaned[field.name] = clean_value(field, value, required=required, refuse=_refused,
                                              label=label(field.label_key))
        except ValidationError as refused:
            assert refused.message is not None
            errors[field.name] = refused.message
            cleaned[field.name] = None
    if errors:
        raise FormErrors(errors)
    return cleaned


def field_error(name: str, key: str, default: str) -> FormErrors:
    """A refusal of one field with a message of the triage's own (an unknown unit or part)."""
    return FormErrors({name: Message(key, default, {"label": label(f"label.feedback_triage.{name}")})})
