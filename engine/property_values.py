"""Checking a task's evaluated properties before they reach the database.

PostgreSQL refuses a ``candidate_user`` longer than its column with a ``DataError`` that
breaks the transaction; SQLite stores a million characters without a word. Checking
here, against the columns' own sizes, gives both databases the same clean
``WorkflowFailure`` naming the element and the property.
"""

from __future__ import annotations

from datetime import date, datetime

from .errors import WorkflowFailure
from .models import HumanTask, column_length
from .payload import text_fault
from .properties import CANDIDATE_UNIT, CANDIDATE_USER, DUE, ITEM_KEY
from .timer_values import TimerValueError, parse_instant

# Each property's size is the size of the column it is stored in (the same on every table).
MAX_LENGTH: dict[str, int] = {
    CANDIDATE_UNIT: column_length(HumanTask, "candidate_unit"),
    CANDIDATE_USER: column_length(HumanTask, "candidate_user"),
    ITEM_KEY: column_length(HumanTask, "item_key"),
}


def _refuse(bpmn_id: str, name: str, why: str) -> WorkflowFailure:
    return WorkflowFailure(f"property '{name}' of '{bpmn_id}' failed: {why}", bpmn_id=bpmn_id)


def checked_text(bpmn_id: str, name: str, value: object) -> str | None:
    """A text property's value as stored: None, or text (a whole number becomes its digits) that fits its column."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _refuse(bpmn_id, name, f"the value must be text, not {type(value).__name__}")
    text = str(value)
    limit = MAX_LENGTH.get(name)
    if limit is not None and len(text) > limit:
        raise _refuse(bpmn_id, name, f"the value has {len(text):,} characters; at most {limit} fit")
    fault = text_fault(text)
    if fault is not None:
        raise _refuse(bpmn_id, name, f"the value {fault}")
    return text


def checked_due(bpmn_id: str, value: object) -> datetime | None:
    """The ``due`` property as an aware UTC instant between 1970 and 2999, or None when empty."""
    if value is None or value == "":
        return None
    if not isinstance(value, str | date):
        raise _refuse(bpmn_id, DUE, f"the value must be an ISO 8601 date, not {type(value).__name__}")
    try:
        return parse_instant(value)
    except TimerValueError as exc:
        raise _refuse(bpmn_id, DUE, str(exc).replace("the timer date", "the date")) from None
