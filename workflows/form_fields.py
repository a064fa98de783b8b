"""The parts a task form is declared with: fields, their kinds, choices and conditions.

A ``Form`` is data, not code: ``workflows.forms`` validates a submission against it, the web
renders the page from it and ``describe`` tells API clients what it accepts. Each kind knows
how to clean one value (``clean_value``); errors carry a catalogue key and the field's label
so the web can say them in the reader's language.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine import text_fault

from .deadlines import deadline_iso, parse_date
from .errors import Message, ValidationError

MAX_TEXT = 5000
MAX_EVIDENCE = 50  # evidence items on one progress report
MAX_EVIDENCE_ID = 2**31 - 1  # an evidence id is an integer column
MAX_DATE_TEXT = 40


class Kind(enum.StrEnum):
    """What a field holds, and so how it is cleaned and which input renders it."""

    TEXT = "text"  # one line of text
    TEXTAREA = "textarea"  # several lines of text
    CHOICE = "choice"  # one of the declared choices
    DATE = "date"  # a calendar date, cleaned to the engine's deadline form (end of that day in China)
    BOOL = "bool"  # a yes/no tick
    FILES = "files"  # uploaded files (web form, ``complete --file``); in the data, the ids of the stored files


@dataclass(frozen=True)
class Choice:
    """One allowed value of a choice field and its label's catalogue key."""

    value: str
    label_key: str


@dataclass(frozen=True)
class When:
    """A condition on an earlier field of the same form: its cleaned value is one of ``values``."""

    field: str
    values: tuple[str, ...]

    def holds(self, cleaned: Mapping[str, Any]) -> bool:
        """Whether the condition holds for the values cleaned so far."""
        return cleaned.get(self.field) in self.values


@dataclass(frozen=True)
class Field:
    """One input of a form.

    ``required_when``: required only when the condition holds (a reason when returning).
    ``only_when``: asked only when the condition holds; otherwise ignored and stored as empty
    (a new deadline only when verification fails).
    """

    name: str
    kind: Kind
    label_key: str
    required: bool = False
    choices: tuple[Choice, ...] = ()
    max_length: int | None = None
    help_key: str | None = None
    required_when: When | None = None
    only_when: When | None = None

    @property
    def limit(self) -> int:
        """The most characters (text) or items (files) the field accepts."""
        if self.max_length is not None:
            return self.max_length
        return MAX_EVIDENCE if self.kind is Kind.FILES else MAX_TEXT

    def conditional_on(self) -> When | None:
        """The condition this field depends on, if any."""
        return self.only_when or self.required_when


@dataclass(frozen=True)
class Form:
    """A task form: its key (the diagram's ``form`` property), title and fields in display order."""

    key: str
    title_key: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        """The field called ``name``, if the form has one."""
        return next((f for f in self.fields if f.name == name), None)

    @property
    def files_field(self) -> Field | None:
        """The form's file field (evidence), if it has one."""
        return next((f for f in self.fields if f.kind is Kind.FILES), None)


Refuse = Callable[..., ValidationError]


def clean_value(field: Field, value: Any, *, required: bool, refuse: Refuse, label: Message) -> Any:
    """``value`` cleaned as ``field`` declares it; ``refuse(key, **params)`` builds the error."""
    cleaner = _CLEANERS[field.kind]
    return cleaner(field, value, required, refuse, label)


def _empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(field: Field, value: Any, required: bool, refuse: Refuse, label: Message) -> str | None:
    name = field.name
    if _empty(value):
        if required:
            raise refuse("form.required", label=label, name=name)
        return None
    if not isinstance(value, str):
        raise refuse("form.not_text", label=label, name=name)
    value = value.strip()
    if len(value) > field.limit:
        raise refuse("form.too_long", label=label, max=field.limit, name=name)
    storable(value, label, name, refuse)
    return value


def storable(value: str, label: Message, name: str, refuse: Refuse) -> None:
    """Refuse text no database can store (NUL, lone surrogates) before the engine runs."""
    if text_fault(value) is None:
        return
    if "\x00" in value:
        raise refuse("form.nul_character", label=label, name=name)
    code = next(f"U+{ord(ch):04X}" for ch in value if 0xD800 <= ord(ch) <= 0xDFFF)
    raise refuse("form.lone_surrogate", label=label, code=code, name=name)


def _choice(field: Field, value: Any, required: bool, refuse: Refuse, label: Message) -> str | None:
    allowed = tuple(choice.value for choice in field.choices)
    if _empty(value) and not required:
        return None
    if not isinstance(value, str) or value not in allowed:
        raise refuse("form.choice", label=label, choices=", ".join(allowed), name=field.name)
    return value


def _date(field: Field, value: Any, required: bool, refuse: Refuse, label: Message) -> str | None:
    name = field.name
    if value is None or value == "":
        if required:
            raise refuse("form.required", label=label, name=name)
        return None
    if not isinstance(value, str) or len(value) > MAX_DATE_TEXT:
        raise refuse("form.date", label=label, name=name)
    storable(value, label, name, refuse)
    try:
        return deadline_iso(parse_date(value))
    except ValueError:
        raise refuse("form.date", label=label, name=name) from None


def _bool(field: Field, value: Any, required: bool, refuse: Refuse, label: Message) -> bool:
    if value is None:
        value = False
    if not isinstance(value, bool):
        raise refuse("form.not_bool", label=label, name=field.name)
    if required and not value:
        raise refuse("form.required", label=label, name=field.name)
    return value


def _files(field: Field, value: Any, required: bool, refuse: Refuse, label: Message) -> list[int]:
    """Evidence is the ids of stored files (``Evidence`` rows). A file name is refused, never kept
    as it is: a name proves nothing, and the ledger counts stored files only."""
    name = field.name
    items = value or []
    if not isinstance(items, list):
        raise refuse("form.evidence_list", name=name)
    if required and not items:
        raise refuse("form.required", label=label, name=name)
    if len(items) > field.limit:
        raise refuse("form.evidence_count", max=field.limit, count=len(items), name=name)
    for index, item in enumerate(items):
        where = f"{name}[{index}]"
        if isinstance(item, str):
            raise refuse("form.evidence_name", name=where)
        if isinstance(item, bool) or not isinstance(item, int):
            raise refuse("form.evidence_list", name=where)
        if not 1 <= item <= MAX_EVIDENCE_ID:
            raise refuse("form.evidence_id", name=where)
    return list(items)


_CLEANERS: dict[Kind, Callable[[Field, Any, bool, Refuse, Message], Any]] = {
    Kind.TEXT: _text,
    Kind.TEXTAREA: _text,
    Kind.CHOICE: _choice,
    Kind.DATE: _date,
    Kind.BOOL: _bool,
    Kind.FILES: _files,
}


class FormErrors(ValidationError):
    """A submission refused with one message per field (``errors``, in the form's order).

    Its own message is the first field's, so the command line prints one line as before; the
    web shows each message beside its field.
    """

    def __init__(self, errors: Mapping[str, Message]) -> None:
        self.errors: dict[str, Message] = dict(errors)
        super().__init__(next(iter(self.errors.values())))
