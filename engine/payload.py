"""Bounds on the JSON data an instance is started with or a task is completed with.

Task data ends up in JSON columns, in SpiffWorkflow's serialised state and in the audit
log, so anything Python can hold but a database cannot store — a NUL character, a lone
surrogate, NaN, a 5,000-digit integer — or anything big enough to hurt — deep nesting,
megabytes of text — is refused here, before any work starts, with a one-line
``TaskStateError`` naming where the value sits (``data.measures[3].note``). The command
line, the web forms and the JSON API all pass through ``checked_data``; text that arrives
as JSON goes through ``parse_json_data`` first, which never recurses and never lets
Python's own limits surface as a traceback.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

from .errors import TaskStateError

MAX_DEPTH = 20  # objects and lists inside each other, the outermost object included
MAX_INT = 2**63 - 1  # whole numbers must fit a signed 64-bit column
MIN_INT = -(2**63)
MAX_BYTES = 1_000_000  # the whole payload, serialised as UTF-8 JSON
MAX_STRING = 100_000  # characters in one text value
MAX_ITEMS = 10_000  # keys of one object, items of one list
MAX_KEY = 200  # characters in one key
# Digits a JSON integer may have before it is turned into an int (19 fit in 64 bits; a sign may come first).
_MAX_INT_DIGITS = 20
_SHOWN_KEY = 30  # characters of an odd key shown in a path

_STRING_RE = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_BRACKET_RE = re.compile(r"[\[\]{}]")
_TYPES = "only text, numbers, booleans, null, lists and objects"


def text_fault(text: str) -> str | None:
    """What keeps ``text`` from being stored (a NUL character, a lone surrogate), or ``None``.

    PostgreSQL cannot store NUL in text or JSON; a lone surrogate is not valid Unicode and
    cannot be encoded as UTF-8 for any database.
    """
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        return f"contains a lone surrogate (U+{ord(text[exc.start]):04X})"
    return None


def checked_data(data: Mapping[str, Any]) -> dict[str, Any]:
    """A JSON-safe deep copy of task data, or ``TaskStateError`` naming the first value out of bounds.

    Top-level keys are field names (letters, digits and underscores, not starting with ``_``);
    values are text, finite numbers, whole numbers within ±2^63, booleans, null, lists and
    objects with text keys, nested at most ``MAX_DEPTH`` deep and ``MAX_BYTES`` in all.
    """
    if not isinstance(data, Mapping):
        raise TaskStateError("task data must be an object of named values")
    for key in data:
        if not isinstance(key, str) or not key.isidentifier() or key.startswith("_"):
            raise TaskStateError(f"invalid field name {_shown(key)}: use letters, digits and underscores")
    copy = _Walk().value(data, "data", 1)
    size = len(json.dumps(copy, ensure_ascii=False, allow_nan=False).encode("utf-8"))
    if size > MAX_BYTES:  # the walk's estimate does not count escapes; this is exact
        raise TaskStateError(f"data is larger than {MAX_BYTES // 1_000_000} MB when stored")
    return copy


def parse_json_data(text: str, *, what: str = "data") -> dict[str, Any]:
    """Task data from JSON text (a JSON object), checked by ``checked_data``.

    Deep nesting is measured before parsing, so it can never exhaust the stack; over-long
    integers are refused before Python converts them; ``NaN`` and ``Infinity`` are refused.
    ``what`` names the input in messages (``--data``).
    """
    if len(text) > MAX_BYTES:
        raise TaskStateError(f"{what} is larger than {MAX_BYTES // 1_000_000} MB")
    if _nesting_depth(text) > MAX_DEPTH:
        raise TaskStateError(f"{what} is nested more than {MAX_DEPTH} levels deep")
    try:
        value = json.loads(text, parse_int=_parse_int, parse_constant=_Unstorable.constant)
    except json.JSONDecodeError as exc:
        raise TaskStateError(f"{what} is not valid JSON: {exc.msg} (column {exc.colno})") from None
    except RecursionError:  # unreachable after the depth scan; kept so no input can show a traceback
        raise TaskStateError(f"{what} is nested too deeply") from None
    if not isinstance(value, dict):
        raise TaskStateError(f"{what} must be a JSON object")
    return checked_data(value)


class _Unstorable:
    """Stands in for a JSON number that must not become a Python value; the walk names its place."""

    def __init__(self, problem: str) -> None:
        self.problem = problem

    @classmethod
    def constant(cls, name: str) -> _Unstorable:
        return cls(f"is {name}, which is not a number that can be stored")


def _parse_int(digits: str) -> int | _Unstorable:
    if len(digits) > _MAX_INT_DIGITS:  # int() of 5,000 digits raises; of 4,000 it is merely slow
        return _Unstorable(f"is a whole number of {len(digits)} digits, outside the range ±2^63")
    return int(digits)


def _nesting_depth(text: str) -> int:
    """How deep objects and lists nest in JSON text (strings skipped), without recursing.

    Stops counting once past ``MAX_DEPTH``. Invalid JSON gives some depth; the parser
    then says what is wrong with it.
    """
    depth = deepest = 0
    for bracket in _BRACKET_RE.findall(_STRING_RE.sub("", text)):
        if bracket in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
        else:
            depth -= 1
    return deepest


class _Walk:
    """One walk over a payload: copies it and stops at the first value out of bounds."""

    def __init__(self) -> None:
        self.size = 0  # serialised bytes so far (an estimate; escapes are not counted)

    def value(self, value: Any, path: str, depth: int) -> Any:
        if value is None or isinstance(value, bool):
            self._grow(5)
            return value
        if isinstance(value, int):
            if not MIN_INT <= value <= MAX_INT:  # compared, never printed: str() of a huge int raises
                raise TaskStateError(f"{path} is a whole number outside the range ±2^63")
            self._grow(20)
            return int(value)
        if isinstance(value, float):
            if not math.isfinite(value):
                raise TaskStateError(f"{path} is not a finite number (NaN and Infinity cannot be stored)")
            self._grow(24)
            return float(value)
        if isinstance(value, str):
            return self._text(value, path)
        if isinstance(value, _Unstorable):
            raise TaskStateError(f"{path} {value.problem}")
        if isinstance(value, Mapping | list | tuple):
            if depth > MAX_DEPTH:
                raise TaskStateError(f"{path} is nested more than {MAX_DEPTH} levels deep")
            if len(value) > MAX_ITEMS:
                raise TaskStateError(f"{path} has more than {MAX_ITEMS} items")
            self._grow(2)
            if isinstance(value, Mapping):
                return self._object(value, path, depth)
            return [self.value(item, f"{path}[{index}]", depth + 1) for index, item in enumerate(value)]
        raise TaskStateError(f"{path} is a {type(value).__name__}: task data may hold {_TYPES}")

    def _object(self, value: Mapping[Any, Any], path: str, depth: int) -> dict[str, Any]:
        copy: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TaskStateError(f"{path} has a key that is not text ({type(key).__name__})")
            if len(key) > MAX_KEY:
                raise TaskStateError(f"{path} has a key longer than {MAX_KEY} characters")
            fault = text_fault(key)
            if fault:
                raise TaskStateError(f"{path} has a key that {fault}, which cannot be stored")
            self._grow(len(key) + 4)
            copy[key] = self.value(item, _child(path, key), depth + 1)
        return copy

    def _text(self, value: str, path: str) -> str:
        if len(value) > MAX_STRING:
            raise TaskStateError(f"{path} is longer than {MAX_STRING} characters")
        fault = text_fault(value)
        if fault:
            raise TaskStateError(f"{path} {fault}, which cannot be stored")
        self._grow(len(value.encode("utf-8")) + 2)
        return str(value)

    def _grow(self, size: int) -> None:
        self.size += size + 1  # a separator
        if self.size > MAX_BYTES:
            raise TaskStateError(f"data is larger than {MAX_BYTES // 1_000_000} MB when stored")


def _child(path: str, key: str) -> str:
    if key.isidentifier():
        return f"{path}.{key}"
    return f"{path}[{_shown(key)}]"


def _shown(key: object) -> str:
    """A key as it can be printed on one line: quoted, escaped, and cut short."""
    if not isinstance(key, str):
        return type(key).__name__
    shown = key if len(key) <= _SHOWN_KEY else key[:_SHOWN_KEY] + "…"
    return json.dumps(shown, ensure_ascii=text_fault(shown) is not None)
