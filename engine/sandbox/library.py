"""What sandboxed scripts may use: limits, whitelisted functions, methods and attributes.

The date helpers (:func:`parse_date`, :func:`iso`, :func:`add_months`, :func:`days_between`) are
usable from Python code too.  The public names here are re-exported by :mod:`engine.sandbox`.
"""

from __future__ import annotations

from calendar import monthrange
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Any

from .errors import ScriptError

# --------------------------------------------------------------------------------------------------
# Limits

MAX_STEPS = 100_000
"""Maximum number of AST node evaluations per run."""
MAX_SIZE = 1_000_000
"""Maximum size of any string or collection a script builds or changes, and of its variables together:
characters and elements, counting everything a collection reaches as it is saved (a shared value
once per reference).  A flat list of ``MAX_SIZE`` numbers or a string of ``MAX_SIZE`` characters
fits exactly."""
MAX_WORK = 10_000_000
"""Budget of element operations per run (allocations and traversals done by bulk operations)."""
MAX_RANGE = 100_000
"""Maximum length of ``range(...)``."""
MAX_EXPONENT = 64
"""Maximum absolute exponent of ``**``."""
MAX_INT_BITS = 4096
"""Maximum size of an integer produced by arithmetic."""
MAX_ROUND_DIGITS = 64
"""Maximum absolute ``ndigits`` of ``round``."""
MAX_FORMAT_NUMBER = 1000
"""Maximum width/precision in an f-string format spec."""
MAX_SOURCE_LENGTH = 100_000
"""Maximum length of a script or expression source."""
MAX_NESTING = 100
"""Maximum depth of the syntax tree."""

try:
    from zoneinfo import ZoneInfo

    LOCAL_TZ: tzinfo = ZoneInfo("Asia/Shanghai")
except Exception:  # pragma: no cover - tz database missing; China has had no DST since 1991
    LOCAL_TZ = timezone(timedelta(hours=8), "Asia/Shanghai")
"""Time zone for calendar dates without a zone (bare dates, naive datetimes)."""



# --------------------------------------------------------------------------------------------------
# Date helpers (also usable from Python code)


def _localize(value: datetime) -> datetime:
    """Attach :data:`LOCAL_TZ` to a naive datetime."""
    return value.replace(tzinfo=LOCAL_TZ) if value.tzinfo is None else value


def parse_date(value: str | date) -> datetime:
    """Parse an ISO 8601 date or datetime into an aware UTC datetime.

    A bare date means midnight in Asia/Shanghai; a datetime without an offset is Asia/Shanghai
    local time.  ``date`` and ``datetime`` objects are accepted too.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime.combine(value, time())
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ScriptError(f"parse_date(): invalid ISO date {value[:40]!r}") from None
    else:
        raise ScriptError(f"parse_date() expects a string, got {type(value).__name__}")
    return _localize(parsed).astimezone(UTC)


def iso(value: date | timedelta) -> str:
    """Format a date/datetime as ISO 8601, or a timedelta as an ISO 8601 duration (``P1DT2H``)."""
    if isinstance(value, date):  # datetime is a date subclass
        return value.isoformat()
    if isinstance(value, timedelta):
        sign = "-" if value < timedelta(0) else ""
        value = abs(value)
        hours, rest = divmod(value.seconds, 3600)
        minutes, seconds = divmod(rest, 60)
        time_part = ""
        if hours:
            time_part += f"{hours}H"
        if minutes:
            time_part += f"{minutes}M"
        if seconds or value.microseconds:
            text = f"{seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".")
            time_part += f"{text}S"
        result = f"{sign}P{value.days}D" if value.days else f"{sign}P"
        if time_part:
            result += "T" + time_part
        return result if result not in ("P", "-P") else "PT0S"
    raise ScriptError(f"iso() expects a date, datetime or timedelta, got {type(value).__name__}")


def add_months(value: date, months: int) -> date:
    """Add (or subtract) calendar months, clamping the day to the end of the target month.

    Aware datetimes are shifted on the Asia/Shanghai calendar and returned in their original zone.
    """
    if not isinstance(value, date):
        raise ScriptError(f"add_months() expects a date or datetime, got {type(value).__name__}")
    if type(months) is not int:
        raise ScriptError("add_months() expects an integer number of months")
    original_tz = value.tzinfo if isinstance(value, datetime) else None
    local: date = value.astimezone(LOCAL_TZ) if isinstance(value, datetime) and original_tz else value
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    if not 1 <= year <= 9999:
        raise ScriptError("add_months(): year out of range")
    shifted = local.replace(year=year, month=month, day=min(local.day, monthrange(year, month)[1]))
    if isinstance(shifted, datetime) and original_tz is not None:
        return shifted.astimezone(original_tz)
    return shifted


def _calendar_day(value: Any) -> date:
    if isinstance(value, str):
        value = parse_date(value)
    if isinstance(value, datetime):
        return _localize(value).astimezone(LOCAL_TZ).date()
    if isinstance(value, date):
        return value
    raise ScriptError(f"days_between() expects dates, datetimes or ISO strings, got {type(value).__name__}")


def days_between(start: date | str, end: date | str) -> int:
    """Whole calendar days from ``start`` to ``end`` (negative if ``end`` is earlier).

    Datetimes are compared by their Asia/Shanghai calendar date; strings are parsed with
    :func:`parse_date`.
    """
    return (_calendar_day(end) - _calendar_day(start)).days


def _fn_date(year: int, month: int, day: int) -> date:
    return date(year, month, day)


def _fn_datetime(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """Asia/Shanghai wall-clock time, returned as an aware UTC datetime."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LOCAL_TZ).astimezone(UTC)


def _fn_timedelta(
    days: float = 0, *, hours: float = 0, minutes: float = 0, seconds: float = 0, weeks: float = 0
) -> timedelta:
    return timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds, weeks=weeks)


# --------------------------------------------------------------------------------------------------
# Whitelisted builtins (bounded wrappers)


def _default_clock() -> datetime:
    return datetime.now(UTC)


def _fn_range(*args: int) -> range:
    result = range(*args)
    try:
        length = len(result)
    except OverflowError:
        length = MAX_RANGE + 1
    if length > MAX_RANGE:
        raise ScriptError(f"range() is limited to {MAX_RANGE} items")
    return result


def _fn_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and type(ndigits) is int and abs(ndigits) > MAX_ROUND_DIGITS:
        raise ScriptError(f"round() ndigits is limited to {MAX_ROUND_DIGITS}")
    return round(number, ndigits)


def _fn_sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    if type(start) not in (int, float, bool, timedelta):
        raise ScriptError("sum() start must be a number or a timedelta")
    return sum(iterable, start)


def _fn_enumerate(iterable: Iterable[Any], start: int = 0) -> list[tuple[int, Any]]:
    return list(enumerate(iterable, start))


def _fn_zip(*iterables: Iterable[Any]) -> list[tuple[Any, ...]]:
    return list(zip(*iterables, strict=False))


_FUNCTION_TABLE: dict[str, Callable[..., Any]] = {
    # builtins
    "len": len,
    "min": min,
    "max": max,
    "sum": _fn_sum,
    "abs": abs,
    "round": _fn_round,
    "sorted": sorted,
    "any": any,
    "all": all,
    "str": str,  # replaced by a bounded conversion in the interpreter
    "int": int,
    "float": float,
    "bool": bool,
    "list": list,
    "dict": dict,
    "set": set,
    "tuple": tuple,
    "range": _fn_range,
    "enumerate": _fn_enumerate,
    "zip": _fn_zip,
    # date helpers
    "now": _default_clock,  # the interpreter calls the injected clock instead
    "date": _fn_date,
    "datetime": _fn_datetime,
    "timedelta": _fn_timedelta,
    "iso": iso,
    "parse_date": parse_date,
    "add_months": add_months,
    "days_between": days_between,
}

ALLOWED_FUNCTIONS: frozenset[str] = frozenset(_FUNCTION_TABLE)
"""Names of the functions scripts may call.

``len min max sum abs round sorted any all str int float bool list dict set tuple range enumerate
zip`` behave like the Python builtins, with limits: ``range`` has at most :data:`MAX_RANGE` items,
``sum`` only adds numbers/timedeltas, ``round`` takes ``|ndigits| <= 64``, ``enumerate``/``zip``
return lists, and no argument may be a function (so no ``key=``).

Date helpers: ``now()`` (engine clock, aware UTC), ``date(y, m, d)``, ``datetime(y, m, d, h=0,
mi=0, s=0)`` (Asia/Shanghai wall clock -> aware UTC), ``timedelta(days, *, hours, minutes, seconds,
weeks)``, ``iso(x)``, ``parse_date(s)``, ``add_months(dt, n)``, ``days_between(a, b)``.
"""

# Functions whose cost is proportional to the (deep) size of their arguments.
_BULK_FUNCTIONS = frozenset(
    {"min", "max", "sum", "sorted", "any", "all", "list", "dict", "set", "tuple", "enumerate", "zip"}
)

_STR_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "split", "join", "startswith", "endswith", "replace",
     "count", "find"}
)
_LIST_METHODS = frozenset({"append", "extend", "index", "count", "pop", "insert", "remove", "copy"})
_DICT_METHODS = frozenset({"get", "keys", "values", "items", "copy", "update", "setdefault", "pop"})

ALLOWED_METHODS: Mapping[type, frozenset[str]] = MappingProxyType({
    str: _STR_METHODS,
    list: _LIST_METHODS,
    dict: _DICT_METHODS,
    datetime: frozenset({"isoformat", "date", "weekday"}),
    date: frozenset({"isoformat", "weekday"}),
    timedelta: frozenset({"total_seconds"}),
})
"""Methods scripts may call, by the *exact* type of the receiver (subclasses are refused).

``str.format`` is deliberately absent: ``"{0.__class__}".format(x)`` reaches attributes.
``dict.keys/values/items`` return lists.
"""

ALLOWED_ATTRIBUTES: Mapping[type, frozenset[str]] = MappingProxyType({
    datetime: frozenset({"year", "month", "day", "hour", "minute", "second"}),
    date: frozenset({"year", "month", "day"}),
    timedelta: frozenset({"days", "seconds"}),
})
"""Data attributes scripts may read, by the exact type of the value."""

_METHOD_NAMES: frozenset[str] = frozenset().union(*ALLOWED_METHODS.values())
_ATTRIBUTE_NAMES: frozenset[str] = frozenset().union(*ALLOWED_ATTRIBUTES.values())
# Mutating methods are refused in expressions: the names of an expression are read-only.
_MUTATING_METHODS = frozenset({"append", "extend", "pop", "insert", "remove", "update", "setdefault"})
# Methods whose cost is proportional to the size of the receiver.
_TRAVERSING_METHODS = frozenset(
    {"lower", "upper", "strip", "lstrip", "rstrip", "split", "replace", "count", "find", "index", "remove"}
)
# Methods that return existing objects rather than new ones.
_ACCESSOR_METHODS = frozenset({"get", "pop", "setdefault"})
