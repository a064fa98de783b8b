"""JSON text of stored state: orjson's speed, the standard library's output.

Workflow state was always written by ``json.dumps(..., ensure_ascii=False, separators=(",", ":"))``
with SpiffWorkflow's registry as ``default``, and stored states must keep meaning what they meant.
orjson writes the same JSON for the same values, except where it would not:

* NaN and ±Infinity it writes as ``null`` (the standard library writes ``NaN``, which loads back);
* ``UUID`` and ``Enum`` values it writes itself (the standard library asks ``default``);
* integers beyond 64 bits, keys that are not exact ``str``, lone surrogates, deep nesting and
  cycles it refuses.

So a value holding any of the first two is found before orjson is asked (:func:`_plain`), a
refusal falls back, and the standard library writes the text (raising what it always raised, which
is what turns bad data into a failure naming its element). Subclasses of ``str``, ``int``,
``float``, ``list``, ``tuple`` and ``dict`` are written as the standard library writes them, and
anything else goes to ``default`` as before. Floats keep their value but orjson may spell a very
large or small one differently (``1e16`` for ``1e+16``); both read back as the same float.

Reading stays with the standard library (:func:`loads`).
"""

from __future__ import annotations

import functools
import json
import marshal
import math
import re
from collections.abc import Callable
from enum import Enum
from typing import Any
from uuid import UUID

import orjson

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_SUBCLASS
_SCALARS = frozenset({str, int, bool, type(None)})
# Values orjson writes without asking ``default``, differently from the standard library.
_OWN_KINDS = (UUID, Enum, orjson.Fragment)
# In marshal's format 2 a float is b"g" and its 8 IEEE bytes, little-endian; NaN and the infinities
# have every exponent bit set. UTF-8 text never holds these two bytes in a row, so the pattern can
# match only where a float, an integer or a length is written: at worst a finite value falls back.
_NON_FINITE = re.compile(rb"g[\x00-\xff]{6}[\xf0-\xff][\x7f\xff]")


class _Fallback(Exception):  # noqa: N818 - a signal inside dumps, never raised to callers
    """orjson would write this value differently: let the standard library write it."""


def dumps(obj: Any, default: Callable[[Any], Any]) -> str:
    """``obj`` as compact JSON text, exactly as ``json.dumps(obj, default=default, ensure_ascii=False,
    separators=(",", ":"))`` means it, and raising what that would raise."""
    if _plain(obj):
        try:
            return orjson.dumps(obj, default=_standard(default), option=_OPTIONS).decode("utf-8")
        except (orjson.JSONEncodeError, _Fallback):
            pass  # written (or refused) below, as before
    return stdlib_dumps(obj, default)


def stdlib_dumps(obj: Any, default: Callable[[Any], Any]) -> str:
    """The standard library's text of ``obj``: what the state was always written with."""
    return json.dumps(obj, default=default, ensure_ascii=False, separators=(",", ":"))


def loads(text: str) -> Any:
    """The value of JSON text written by :func:`dumps` (or by the standard library).

    The standard library's reader: on stored states it is as fast as orjson's (string-heavy text),
    and it reads what orjson would not (``NaN``, integers beyond 64 bits, which orjson turns into
    floats) without a pass looking for them first.
    """
    return json.loads(text)


@functools.lru_cache(maxsize=16)
def _standard(default: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """``default`` for orjson: subclasses of JSON types as the standard library writes them, then ``default``."""

    def convert(value: Any) -> Any:
        # The standard library checks these before it ever calls ``default``.
        if isinstance(value, str):
            return str.__str__(value)
        if isinstance(value, int):
            return int.__int__(value)
        if isinstance(value, float):
            plain = float.__float__(value)
            if not math.isfinite(plain):
                raise _Fallback
            return plain
        if isinstance(value, list | tuple):
            converted: Any = list(value)
        elif isinstance(value, dict):
            converted = dict(value.items())
        else:
            converted = default(value)
        if not _plain(converted):
            raise _Fallback
        return converted

    return convert


def _plain(obj: Any) -> bool:
    """Whether orjson writes ``obj`` as the standard library would (or refuses it)."""
    try:
        packed = marshal.dumps(obj, 2)
    except ValueError:  # not only builtin values (datetimes, UUIDs, subclasses...), or nested too deep
        return not _suspect(obj)
    # Builtin values only, so no UUID, Enum or subclass: only a NaN or an infinity can differ.
    return _NON_FINITE.search(packed) is None


def _suspect(obj: Any) -> bool:
    """Whether ``obj`` holds a value orjson would write differently without asking ``default``."""
    stack = [obj]
    seen: set[int] = set()  # a value inside itself is refused by both encoders; the walk must still end
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind in _SCALARS:
            continue
        if kind is dict or kind is list or kind is tuple:
            if id(value) in seen:
                continue
            seen.add(id(value))
            # Keys that are not str: orjson refuses them and the standard library writes the text.
            stack.extend(value.values() if kind is dict else value)
        elif kind is float:
            if not math.isfinite(value):
                return True
        elif isinstance(value, _OWN_KINDS):
            return True
    return False
