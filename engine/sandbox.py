"""Restricted evaluator for BPMN scripts and expressions.

SpiffWorkflow's default script environment runs user code with plain ``eval``/``exec``, and
RestrictedPython is not a sandbox either.  This module never hands user code to ``eval``,
``exec`` or ``compile``: the source is parsed with :func:`ast.parse`, checked statically against a
whitelist of node types, names, functions, methods and attributes, and then *interpreted* by a
small tree-walking interpreter that only knows the whitelisted constructs.

Defence in depth:

* Static check (:func:`check_expression` / :func:`check_script`): anything that is not on the
  whitelist is rejected with :class:`ScriptRejected` before a single node runs -- imports,
  function/class definitions, ``lambda``, ``with``/``try``/``raise``, ``global``, walrus, star
  unpacking, names/attributes/keywords/string subscripts starting with ``_``, calls to anything
  that is not a whitelisted function or method, non-whitelisted builtins (``eval``, ``open``,
  ``getattr``, ``type``, ...).
* Run time: the interpreter resolves names only in the script's own variables, the task data and
  the whitelisted functions -- there are no builtins, no globals and no attribute access except
  the whitelisted methods (dispatched on the *exact* built-in type of the receiver) and a few
  data attributes of date/datetime/timedelta.  Functions are not first-class values.
* Resource limits: node evaluations (:data:`MAX_STEPS`), collection and string sizes
  (:data:`MAX_SIZE`), a work budget for bulk operations and allocations (:data:`MAX_WORK`),
  integer size (:data:`MAX_INT_BITS`), exponents (:data:`MAX_EXPONENT`) and ranges
  (:data:`MAX_RANGE`).  Exceeding one raises :class:`ScriptError`.

Columns in messages are 0-based, like :mod:`ast` offsets; lines are 1-based.
"""

from __future__ import annotations

import ast
import builtins
import functools
import re
from calendar import monthrange
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from types import MappingProxyType
from typing import Any, NoReturn

__all__ = [
    "ALLOWED_ATTRIBUTES",
    "ALLOWED_FUNCTIONS",
    "ALLOWED_METHODS",
    "LOCAL_TZ",
    "MAX_EXPONENT",
    "MAX_INT_BITS",
    "MAX_RANGE",
    "MAX_SIZE",
    "MAX_STEPS",
    "MAX_WORK",
    "ScriptError",
    "ScriptRejected",
    "add_months",
    "check_expression",
    "check_script",
    "days_between",
    "evaluate",
    "execute",
    "iso",
    "parse_date",
]

# --------------------------------------------------------------------------------------------------
# Limits

MAX_STEPS = 100_000
"""Maximum number of AST node evaluations per run."""
MAX_SIZE = 1_000_000
"""Maximum length of any string or collection produced by a script."""
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
# Errors


class ScriptRejected(ValueError):
    """A script or expression failed the static check; it was not run at all."""

    def __init__(self, message: str, *, lineno: int | None = None, col: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        self.col = col
        super().__init__(_with_location(message, lineno, col))


class ScriptError(RuntimeError):
    """A script or expression failed at run time (unknown name, bad operand, limit exceeded...)."""

    def __init__(self, message: str, *, lineno: int | None = None, col: int | None = None) -> None:
        self.message = message
        self.lineno = lineno
        self.col = col
        super().__init__(_with_location(message, lineno, col))


def _with_location(message: str, lineno: int | None, col: int | None) -> str:
    message = " ".join(message.split())  # always one line
    if lineno is None:
        return message
    return f"{message} (line {lineno}, col {col if col is not None else 0})"


class _BreakLoop(Exception):
    pass


class _ContinueLoop(Exception):
    pass


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

_DENIED_NAMES: frozenset[str] = frozenset(dir(builtins)) - ALLOWED_FUNCTIONS
"""Python builtins that are not whitelisted: ``eval exec open getattr type print ...``.

They are rejected statically even as variable names, so a script can never mean them.
"""

_ITERABLE_TYPES = (list, tuple, str, dict, set, frozenset, range)
_SUBSCRIPTABLE_TYPES = (list, tuple, str, dict, range)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
_SIZED_RESULT_TYPES = (str, list, tuple, dict, set, frozenset)
_ARITHMETIC_TYPES = frozenset(
    {bool, int, float, str, list, tuple, set, frozenset, date, datetime, timedelta}
)
_NUMBER_TYPES = frozenset({bool, int, float})
_FORMAT_TYPES = frozenset({str, int, float, bool, date, datetime, timedelta})
_CONSTANT_TYPES = frozenset({str, int, float, bool, type(None)})

# --------------------------------------------------------------------------------------------------
# Static check

_STATEMENT_NODES: frozenset[type[ast.AST]] = frozenset(
    {ast.Assign, ast.AugAssign, ast.If, ast.For, ast.While, ast.Break, ast.Continue, ast.Pass, ast.Expr,
     ast.Delete}
)
_EXPRESSION_NODES: frozenset[type[ast.AST]] = frozenset(
    {ast.Constant, ast.Name, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp, ast.Dict, ast.List,
     ast.Tuple, ast.Set, ast.Subscript, ast.Slice, ast.ListComp, ast.DictComp, ast.SetComp,
     ast.GeneratorExp, ast.JoinedStr, ast.FormattedValue, ast.Attribute, ast.Call}
)
_AUXILIARY_NODES: frozenset[type[ast.AST]] = frozenset(
    {ast.Module, ast.Expression, ast.comprehension, ast.keyword, ast.Load, ast.Store, ast.Del,
     ast.And, ast.Or, ast.Not, ast.USub, ast.UAdd,
     ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow,
     ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot}
)
_ALLOWED_NODES = _STATEMENT_NODES | _EXPRESSION_NODES | _AUXILIARY_NODES

_NODE_DESCRIPTIONS: dict[type[ast.AST], str] = {
    ast.Import: "import",
    ast.ImportFrom: "import",
    ast.Lambda: "lambda",
    ast.FunctionDef: "function definition",
    ast.AsyncFunctionDef: "function definition",
    ast.ClassDef: "class definition",
    ast.With: "'with' statement",
    ast.AsyncWith: "'with' statement",
    ast.Try: "'try' statement",
    ast.TryStar: "'try' statement",
    ast.Raise: "'raise' statement",
    ast.Global: "'global' statement",
    ast.Nonlocal: "'nonlocal' statement",
    ast.Yield: "'yield'",
    ast.YieldFrom: "'yield'",
    ast.Await: "'await'",
    ast.NamedExpr: "assignment expression ':='",
    ast.Starred: "star unpacking",
    ast.Return: "'return' statement",
    ast.Assert: "'assert' statement",
    ast.AnnAssign: "annotated assignment",
    ast.Match: "'match' statement",
    ast.AsyncFor: "'async for'",
    ast.MatMult: "operator '@'",
    ast.BitAnd: "operator '&'",
    ast.BitOr: "operator '|'",
    ast.BitXor: "operator '^'",
    ast.LShift: "operator '<<'",
    ast.RShift: "operator '>>'",
    ast.Invert: "operator '~'",
}


class _Checker:
    """Walks a parsed tree and raises :class:`ScriptRejected` on the first forbidden construct."""

    def __init__(self, *, expression: bool) -> None:
        self.expression = expression
        self.loop_depth = 0
        self.location: tuple[int | None, int | None] = (None, None)

    def reject(self, message: str, node: ast.AST | None = None) -> NoReturn:
        lineno, col = self.location
        if isinstance(node, ast.expr | ast.stmt | ast.keyword):
            lineno, col = node.lineno, node.col_offset
        raise ScriptRejected(f"{message} is not allowed", lineno=lineno, col=col)

    def visit(self, node: ast.AST, depth: int) -> None:
        if depth > MAX_NESTING:
            self.reject("nesting this deep", node)
        if isinstance(node, ast.expr | ast.stmt | ast.keyword):
            self.location = (node.lineno, node.col_offset)
        kind = type(node)
        if kind not in _ALLOWED_NODES:
            self.reject(_NODE_DESCRIPTIONS.get(kind, f"{kind.__name__} syntax"), node)
        special = _CHECK_HANDLERS.get(kind)
        if special is not None:
            special(self, node, depth)
        else:
            self.visit_children(node, depth)

    def visit_children(self, node: ast.AST, depth: int) -> None:
        for child in ast.iter_child_nodes(node):
            self.visit(child, depth + 1)

    def visit_all(self, nodes: Iterable[ast.AST], depth: int) -> None:
        for child in nodes:
            self.visit(child, depth + 1)

    # -- leaves -------------------------------------------------------------------------------------

    def check_constant(self, node: ast.Constant, depth: int) -> None:
        if type(node.value) not in _CONSTANT_TYPES:
            self.reject(f"constant of type {type(node.value).__name__}", node)

    def check_name(self, node: ast.Name, depth: int) -> None:
        name = node.id
        if name.startswith("_"):
            self.reject(f"name {name!r}", node)
        if name in _DENIED_NAMES:
            self.reject(f"name {name!r}", node)
        if name in ALLOWED_FUNCTIONS and not isinstance(node.ctx, ast.Load):
            self.reject(f"assigning to the function name {name!r}", node)

    def check_target(self, node: ast.expr, depth: int, *, subscripts: bool) -> None:
        if isinstance(node, ast.Tuple | ast.List):
            self.location = (node.lineno, node.col_offset)
            for element in node.elts:
                self.check_target(element, depth + 1, subscripts=subscripts)
        elif isinstance(node, ast.Name) or (subscripts and isinstance(node, ast.Subscript)):
            self.visit(node, depth + 1)
        elif isinstance(node, ast.Attribute):
            self.reject(f"assigning to attribute {node.attr!r}", node)
        else:
            self.reject(f"assigning to {type(node).__name__}", node)

    # -- expressions --------------------------------------------------------------------------------

    def check_attribute(self, node: ast.Attribute, depth: int) -> None:
        # Only reached for attribute *reads*; method calls are handled by check_call.
        attr = node.attr
        if attr.startswith("_"):
            self._reject_attribute(node)
        if not isinstance(node.ctx, ast.Load):
            self.reject(f"assigning to attribute {attr!r}", node)
        if attr not in _ATTRIBUTE_NAMES:
            self._reject_attribute(node)
        self.visit(node.value, depth + 1)

    def _reject_attribute(self, node: ast.Attribute, what: str = "attribute") -> NoReturn:
        lineno, col = node.lineno, node.col_offset
        if node.end_lineno is not None and node.end_col_offset is not None:
            lineno, col = node.end_lineno, max(node.end_col_offset - len(node.attr), 0)
        raise ScriptRejected(f"{what} {node.attr!r} is not allowed", lineno=lineno, col=col)

    def check_call(self, node: ast.Call, depth: int) -> None:
        func = node.func
        if isinstance(func, ast.Name):
            if func.id.startswith("_") or func.id not in ALLOWED_FUNCTIONS:
                self.reject(f"calling {func.id!r}", node)
        elif isinstance(func, ast.Attribute):
            if func.attr.startswith("_"):
                self._reject_attribute(func)
            if func.attr not in _METHOD_NAMES:
                self._reject_attribute(func, "method")
            if self.expression and func.attr in _MUTATING_METHODS:
                raise ScriptRejected(
                    f"method {func.attr!r} is not allowed in an expression (it modifies data)",
                    lineno=func.lineno,
                    col=func.col_offset,
                )
            self.visit(func.value, depth + 1)
        else:
            self.reject("calling anything but a whitelisted function or method", node)
        self.visit_all(node.args, depth)
        for keyword in node.keywords:
            if keyword.arg is None:
                self.reject("'**' unpacking", keyword)
            if keyword.arg.startswith("_"):
                self.reject(f"keyword {keyword.arg!r}", keyword)
            self.visit(keyword.value, depth + 1)

    def check_subscript(self, node: ast.Subscript, depth: int) -> None:
        key = node.slice
        if isinstance(key, ast.Constant) and isinstance(key.value, str) and key.value.startswith("_"):
            self.reject(f"subscript {key.value!r}", node)
        self.visit_children(node, depth)

    def check_dict(self, node: ast.Dict, depth: int) -> None:
        if any(key is None for key in node.keys):
            self.reject("'**' unpacking", node)
        self.visit_children(node, depth)

    def check_comprehension(self, node: ast.comprehension, depth: int) -> None:
        if node.is_async:
            self.reject("'async for'")
        self.check_target(node.target, depth, subscripts=False)
        self.visit(node.iter, depth + 1)
        self.visit_all(node.ifs, depth)

    # -- statements ---------------------------------------------------------------------------------

    def check_assign(self, node: ast.Assign, depth: int) -> None:
        for target in node.targets:
            self.check_target(target, depth, subscripts=True)
        self.visit(node.value, depth + 1)

    def check_aug_assign(self, node: ast.AugAssign, depth: int) -> None:
        if not isinstance(node.target, ast.Name | ast.Subscript):
            self.reject("augmented assignment to this target", node)
        self.visit(node.target, depth + 1)
        self.visit(node.op, depth + 1)
        self.visit(node.value, depth + 1)

    def check_delete(self, node: ast.Delete, depth: int) -> None:
        for target in node.targets:
            if not isinstance(target, ast.Name | ast.Subscript):
                self.reject("deleting this target", node)
            self.visit(target, depth + 1)

    def check_for(self, node: ast.For, depth: int) -> None:
        self.check_target(node.target, depth, subscripts=False)
        self.visit(node.iter, depth + 1)
        self._loop_body(node.body, node.orelse, depth)

    def check_while(self, node: ast.While, depth: int) -> None:
        self.visit(node.test, depth + 1)
        self._loop_body(node.body, node.orelse, depth)

    def _loop_body(self, body: list[ast.stmt], orelse: list[ast.stmt], depth: int) -> None:
        self.loop_depth += 1
        self.visit_all(body, depth)
        self.loop_depth -= 1
        self.visit_all(orelse, depth)

    def check_loop_control(self, node: ast.Break | ast.Continue, depth: int) -> None:
        if self.loop_depth == 0:
            self.reject(f"'{type(node).__name__.lower()}' outside a loop", node)


_CHECK_HANDLERS: dict[type[ast.AST], Callable[[_Checker, Any, int], None]] = {
    ast.Constant: _Checker.check_constant,
    ast.Name: _Checker.check_name,
    ast.Attribute: _Checker.check_attribute,
    ast.Call: _Checker.check_call,
    ast.Subscript: _Checker.check_subscript,
    ast.Dict: _Checker.check_dict,
    ast.comprehension: _Checker.check_comprehension,
    ast.Assign: _Checker.check_assign,
    ast.AugAssign: _Checker.check_aug_assign,
    ast.Delete: _Checker.check_delete,
    ast.For: _Checker.check_for,
    ast.While: _Checker.check_while,
    ast.Break: _Checker.check_loop_control,
    ast.Continue: _Checker.check_loop_control,
}


def _parse(source: str, mode: str) -> ast.AST:
    if not isinstance(source, str):
        raise ScriptRejected(f"source must be a string, not {type(source).__name__}")
    if len(source) > MAX_SOURCE_LENGTH:
        raise ScriptRejected(f"source longer than {MAX_SOURCE_LENGTH} characters is not allowed")
    if "\x00" in source:
        raise ScriptRejected("a NUL character is not allowed")
    try:
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        col = exc.offset - 1 if exc.offset else None
        raise ScriptRejected(f"syntax error: {exc.msg}", lineno=exc.lineno, col=col) from None
    except (RecursionError, MemoryError, ValueError, OverflowError):
        raise ScriptRejected("source too complex to parse") from None
    _Checker(expression=mode == "eval").visit(tree, 0)
    return tree


@functools.lru_cache(maxsize=4096)
def _checked_expression(source: str) -> ast.Expression:
    tree = _parse(source.strip(), "eval")
    assert isinstance(tree, ast.Expression)
    return tree


@functools.lru_cache(maxsize=1024)
def _checked_script(source: str) -> ast.Module:
    tree = _parse(source, "exec")
    assert isinstance(tree, ast.Module)
    return tree


def check_expression(source: str) -> None:
    """Parse ``source`` as an expression and check it; raise :class:`ScriptRejected` if not allowed."""
    _checked_expression(source)


def check_script(source: str) -> None:
    """Parse ``source`` as a script and check it; raise :class:`ScriptRejected` if not allowed."""
    _checked_script(source)


# --------------------------------------------------------------------------------------------------
# Interpreter


_CONVERTED_ERRORS = (
    ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RuntimeError, MemoryError,
)

_BINOP_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}

_FORMAT_NUMBER = re.compile(r"\d+")


def _type_name(value: Any) -> str:
    return type(value).__name__


def _describe_exception(exc: BaseException) -> str:
    if isinstance(exc, KeyError):
        return f"key {exc.args[0]!r} not found" if exc.args else "key not found"
    if isinstance(exc, MemoryError):
        return "out of memory"
    if isinstance(exc, RecursionError):
        return "data nested too deeply"
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class _Interpreter:
    """Evaluates a checked tree.  One instance per run; holds the variables and the budgets."""

    def __init__(
        self,
        variables: Mapping[str, Any],
        writable: MutableMapping[str, Any] | None,
        fallback: Mapping[str, Any],
        clock: Callable[[], datetime] | None,
    ) -> None:
        self.variables = variables
        self.writable = writable
        self.fallback = fallback
        self.clock = clock or _default_clock
        self.scopes: list[dict[str, Any]] = []
        self.steps = 0
        self.work = 0

    # -- budgets ------------------------------------------------------------------------------------

    def tick(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ScriptError(f"step limit exceeded ({MAX_STEPS} evaluation steps)")

    def charge(self, amount: int) -> None:
        self.work += amount
        if self.work > MAX_WORK:
            raise ScriptError(f"work limit exceeded ({MAX_WORK} element operations)")

    def walk(self, roots: Iterable[Any], *, avoid: object | None = None, cap: int | None = None) -> int:
        """Charge the deep size of ``roots`` (counting shared objects every time, like Python's own
        traversals do).  Stops as soon as the budget is exhausted, so it never runs away on shared or
        cyclic structures.  ``avoid`` must not occur inside ``roots`` (no container inside itself)."""
        limit = MAX_WORK - self.work
        if cap is not None:
            limit = min(limit, cap)
        total = 0
        stack = list(roots)
        while stack:
            value = stack.pop()
            if avoid is not None and value is avoid:
                raise ScriptError("a container cannot be stored inside itself")
            kind = type(value)
            if kind is str:
                total += 1 + len(value)
            elif kind is int:
                total += 1 + value.bit_length() // 64
            elif isinstance(value, list | tuple | set | frozenset):
                total += 1 + len(value)
                if total <= limit:
                    stack.extend(value)
            elif isinstance(value, dict):
                total += 1 + 2 * len(value)
                if total <= limit:
                    stack.extend(value.keys())
                    stack.extend(value.values())
            elif isinstance(value, range):
                total += 1 + len(value)
            else:
                total += 1
            if total > limit:
                if cap is not None and total > cap:
                    raise ScriptError(f"value too large (limit {cap})")
                self.charge(total)
        self.charge(total)
        return total

    def charge_key(self, key: Any) -> None:
        """Hashing a tuple walks its elements."""
        if isinstance(key, tuple | frozenset):
            self.walk([key])

    def check_size(self, value: Any, *, charge: bool = True) -> Any:
        if isinstance(value, _SIZED_RESULT_TYPES):
            size = len(value)
            if size > MAX_SIZE:
                raise ScriptError(f"result too large ({size} items, limit {MAX_SIZE})")
            if charge:
                self.charge(size)
        elif type(value) is int and value.bit_length() > MAX_INT_BITS:
            raise ScriptError(f"integer too large (limit {MAX_INT_BITS} bits)")
        return value

    # -- errors ------------------------------------------------------------------------------------

    @staticmethod
    def located(error: ScriptError, node: ast.expr | ast.stmt) -> ScriptError:
        if error.lineno is not None:
            return error
        return ScriptError(error.message, lineno=node.lineno, col=node.col_offset)

    # -- dispatch ----------------------------------------------------------------------------------

    def value_of(self, node: ast.expr) -> Any:
        try:
            self.tick()
            return _EXPR_HANDLERS[type(node)](self, node)
        except ScriptError as exc:
            raise self.located(exc, node) from exc.__cause__
        except _CONVERTED_ERRORS as exc:
            raise ScriptError(_describe_exception(exc), lineno=node.lineno, col=node.col_offset) from exc

    def run_block(self, statements: list[ast.stmt]) -> None:
        for statement in statements:
            self.run(statement)

    def run(self, node: ast.stmt) -> None:
        try:
            self.tick()
            _STMT_HANDLERS[type(node)](self, node)
        except ScriptError as exc:
            raise self.located(exc, node) from exc.__cause__
        except _CONVERTED_ERRORS as exc:
            raise ScriptError(_describe_exception(exc), lineno=node.lineno, col=node.col_offset) from exc

    # -- names -------------------------------------------------------------------------------------

    def load_name(self, name: str) -> Any:
        for scope in reversed(self.scopes):
            if name in scope:
                return scope[name]
        if name in self.variables:
            return self.variables[name]
        if name in self.fallback:
            return self.fallback[name]
        if name in ALLOWED_FUNCTIONS:
            raise ScriptError(f"function {name!r} can only be called, not used as a value")
        raise ScriptError(f"name {name!r} is not defined")

    def store_name(self, name: str, value: Any) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
        elif self.writable is not None:
            self.writable[name] = value
        else:  # unreachable after the static check
            raise ScriptError("expressions cannot assign variables")

    def delete_name(self, name: str) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                del scope[name]
                return
        if self.writable is not None and name in self.writable:
            del self.writable[name]
            return
        raise ScriptError(f"name {name!r} is not defined")

    # -- expressions -------------------------------------------------------------------------------

    def expr_constant(self, node: ast.Constant) -> Any:
        return node.value

    def expr_name(self, node: ast.Name) -> Any:
        return self.load_name(node.id)

    def expr_bool_op(self, node: ast.BoolOp) -> Any:
        is_and = isinstance(node.op, ast.And)
        value: Any = None
        for operand in node.values:
            value = self.value_of(operand)
            if bool(value) != is_and:
                return value
        return value

    def expr_unary_op(self, node: ast.UnaryOp) -> Any:
        operand = self.value_of(node.operand)
        if isinstance(node.op, ast.Not):
            return not operand
        if type(operand) not in _NUMBER_TYPES and type(operand) is not timedelta:
            raise ScriptError(f"unary minus/plus is not supported for {_type_name(operand)}")
        return -operand if isinstance(node.op, ast.USub) else +operand

    def expr_bin_op(self, node: ast.BinOp) -> Any:
        left = self.value_of(node.left)
        right = self.value_of(node.right)
        return self.binary(node.op, left, right)

    def binary(self, op: ast.operator, left: Any, right: Any) -> Any:
        kind = type(op)
        symbol = _BINOP_SYMBOLS[kind]
        if type(left) not in _ARITHMETIC_TYPES or type(right) not in _ARITHMETIC_TYPES:
            raise ScriptError(
                f"operator {symbol!r} is not supported for {_type_name(left)} and {_type_name(right)}"
            )
        if kind is ast.Add:
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                self.check_length(len(left) + len(right))
            return self.check_size(left + right)
        if kind is ast.Mult:
            sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(sequence, str | list | tuple) and type(count) in (int, bool):
                self.check_length(len(sequence) * max(count, 0))
            elif type(left) is int and type(right) is int:
                if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                    raise ScriptError(f"integer too large (limit {MAX_INT_BITS} bits)")
            return self.check_size(left * right)
        if kind is ast.Pow:
            return self.power(left, right)
        if kind is ast.Mod and isinstance(left, str):
            raise ScriptError("'%' string formatting is not allowed; use an f-string")
        if kind is ast.Sub:
            return self.check_size(left - right)
        if kind is ast.Div:
            return left / right
        if kind is ast.FloorDiv:
            return self.check_size(left // right)
        return self.check_size(left % right)

    def check_length(self, length: int) -> None:
        if length > MAX_SIZE:
            raise ScriptError(f"result too large ({length} items, limit {MAX_SIZE})")

    def power(self, base: Any, exponent: Any) -> Any:
        if type(base) not in _NUMBER_TYPES or type(exponent) not in _NUMBER_TYPES:
            raise ScriptError(
                f"operator '**' is not supported for {_type_name(base)} and {_type_name(exponent)}"
            )
        if not abs(exponent) <= MAX_EXPONENT:
            raise ScriptError(f"exponent too large (limit {MAX_EXPONENT})")
        if type(base) in (int, bool) and type(exponent) in (int, bool) and exponent > 0:
            if abs(base).bit_length() * exponent > MAX_INT_BITS:
                raise ScriptError(f"integer too large (limit {MAX_INT_BITS} bits)")
        return base**exponent

    def expr_compare(self, node: ast.Compare) -> Any:
        left = self.value_of(node.left)
        for op, comparator in zip(node.ops, node.comparators, strict=True):
            right = self.value_of(comparator)
            if not self.compare(op, left, right):
                return False
            left = right
        return True

    def compare(self, op: ast.cmpop, left: Any, right: Any) -> bool:
        kind = type(op)
        if kind is ast.Is:
            return left is right
        if kind is ast.IsNot:
            return left is not right
        if kind in (ast.In, ast.NotIn):
            if isinstance(right, dict | set | frozenset):
                self.charge_key(left)
            elif isinstance(right, _CONTAINER_TYPES) or isinstance(left, _CONTAINER_TYPES):
                self.walk([left, right])
            result = left in right
            return result if kind is ast.In else not result
        if isinstance(left, _CONTAINER_TYPES) or isinstance(right, _CONTAINER_TYPES):
            self.walk([left, right])
        if kind is ast.Eq:
            return bool(left == right)
        if kind is ast.NotEq:
            return bool(left != right)
        if kind is ast.Lt:
            return bool(left < right)
        if kind is ast.LtE:
            return bool(left <= right)
        if kind is ast.Gt:
            return bool(left > right)
        return bool(left >= right)

    def expr_if_exp(self, node: ast.IfExp) -> Any:
        return self.value_of(node.body) if self.value_of(node.test) else self.value_of(node.orelse)

    def expr_dict(self, node: ast.Dict) -> Any:
        result: dict[Any, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            assert key_node is not None  # rejected by the check
            key = self.value_of(key_node)
            self.charge_key(key)
            result[key] = self.value_of(value_node)
        return result

    def expr_list(self, node: ast.List) -> Any:
        return [self.value_of(element) for element in node.elts]

    def expr_tuple(self, node: ast.Tuple) -> Any:
        return tuple(self.value_of(element) for element in node.elts)

    def expr_set(self, node: ast.Set) -> Any:
        result = set()
        for element in node.elts:
            value = self.value_of(element)
            self.charge_key(value)
            result.add(value)
        return result

    def expr_subscript(self, node: ast.Subscript) -> Any:
        container = self.value_of(node.value)
        key = self.value_of(node.slice)
        if not isinstance(container, _SUBSCRIPTABLE_TYPES):
            raise ScriptError(f"{_type_name(container)} value is not subscriptable")
        if isinstance(key, slice):
            if isinstance(container, dict):
                raise ScriptError("a dict cannot be sliced")
            return self.check_size(container[key])
        self.charge_key(key)
        return container[key]

    def expr_slice(self, node: ast.Slice) -> Any:
        def bound(part: ast.expr | None) -> Any:
            value = None if part is None else self.value_of(part)
            if value is not None and type(value) not in (int, bool):
                raise ScriptError(f"slice indices must be integers, not {_type_name(value)}")
            return value

        return slice(bound(node.lower), bound(node.upper), bound(node.step))

    def expr_attribute(self, node: ast.Attribute) -> Any:
        value = self.value_of(node.value)
        allowed = ALLOWED_ATTRIBUTES.get(type(value), frozenset())
        if node.attr not in allowed:
            raise ScriptError(f"attribute {node.attr!r} is not available on {_type_name(value)}")
        return getattr(value, node.attr)

    def expr_joined_str(self, node: ast.JoinedStr) -> Any:
        parts: list[str] = []
        total = 0
        for part in node.values:
            text = self.value_of(part)
            if not isinstance(text, str):  # pragma: no cover - parts are constants or formatted values
                raise ScriptError("invalid f-string part")
            total += len(text)
            self.check_length(total)
            parts.append(text)
        return "".join(parts)

    def expr_formatted_value(self, node: ast.FormattedValue) -> Any:
        value = self.value_of(node.value)
        if node.conversion == ord("r"):
            value = self.render(value, repr)
        elif node.conversion == ord("a"):
            value = self.render(value, ascii)
        elif node.conversion == ord("s"):
            value = self.render(value, str)
        spec = "" if node.format_spec is None else self.value_of(node.format_spec)
        if not spec:
            return self.render(value, str)
        for number in _FORMAT_NUMBER.findall(spec):
            if len(number) > 4 or int(number) > MAX_FORMAT_NUMBER:
                raise ScriptError(f"format width/precision is limited to {MAX_FORMAT_NUMBER}")
        if type(value) not in _FORMAT_TYPES:
            raise ScriptError(f"a format spec cannot be applied to {_type_name(value)}")
        return self.check_size(format(value, spec))

    def render(self, value: Any, convert: Callable[[Any], str]) -> str:
        """``str``/``repr`` with a size check done *before* the text is built."""
        if type(value) is str and convert is str:
            return value
        self.walk([value], cap=MAX_SIZE)
        result = convert(value)
        self.check_size(result)
        return result

    # -- comprehensions ----------------------------------------------------------------------------

    def comprehension(self, generators: list[ast.comprehension], emit: Callable[[], None]) -> None:
        first = self.value_of(generators[0].iter)  # evaluated in the enclosing scope, like Python
        self.scopes.append({})
        try:
            self.comprehension_level(generators, 0, first, emit)
        finally:
            self.scopes.pop()

    def comprehension_level(
        self, generators: list[ast.comprehension], index: int, iterable: Any, emit: Callable[[], None]
    ) -> None:
        generator = generators[index]
        for item in self.iterate(iterable):
            self.tick()
            self.assign(generator.target, item)
            if all(self.value_of(condition) for condition in generator.ifs):
                if index + 1 < len(generators):
                    following = self.value_of(generators[index + 1].iter)
                    self.comprehension_level(generators, index + 1, following, emit)
                else:
                    emit()

    def expr_list_comp(self, node: ast.ListComp | ast.GeneratorExp) -> Any:
        result: list[Any] = []

        def emit() -> None:
            result.append(self.value_of(node.elt))
            self.check_length(len(result))

        self.comprehension(node.generators, emit)
        return result

    def expr_set_comp(self, node: ast.SetComp) -> Any:
        result: set[Any] = set()

        def emit() -> None:
            value = self.value_of(node.elt)
            self.charge_key(value)
            result.add(value)
            self.check_length(len(result))

        self.comprehension(node.generators, emit)
        return result

    def expr_dict_comp(self, node: ast.DictComp) -> Any:
        result: dict[Any, Any] = {}

        def emit() -> None:
            key = self.value_of(node.key)
            self.charge_key(key)
            result[key] = self.value_of(node.value)
            self.check_length(len(result))

        self.comprehension(node.generators, emit)
        return result

    def iterate(self, value: Any) -> Iterable[Any]:
        if not isinstance(value, _ITERABLE_TYPES):
            raise ScriptError(f"cannot iterate over {_type_name(value)}")
        return value

    # -- calls -------------------------------------------------------------------------------------

    def expr_call(self, node: ast.Call) -> Any:
        func = node.func
        receiver: Any = None
        if isinstance(func, ast.Attribute):
            receiver = self.value_of(func.value)
        args = [self.value_of(argument) for argument in node.args]
        kwargs: dict[str, Any] = {}
        for keyword in node.keywords:
            assert keyword.arg is not None  # rejected by the check
            kwargs[keyword.arg] = self.value_of(keyword.value)
        for value in (*args, *kwargs.values()):
            if callable(value):
                raise ScriptError("functions cannot be passed as arguments")
        if isinstance(func, ast.Name):
            return self.call_function(func.id, args, kwargs)
        assert isinstance(func, ast.Attribute)
        return self.call_method(receiver, func.attr, args, kwargs)

    def call_function(self, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        if name == "now":
            if args or kwargs:
                raise ScriptError("now() takes no arguments")
            current = self.clock()
            if current.tzinfo is None:
                current = current.replace(tzinfo=UTC)
            return current.astimezone(UTC)
        if name == "str":
            if kwargs or len(args) > 1:
                raise ScriptError("str() takes at most one argument")
            return self.render(args[0], str) if args else ""
        implementation = _FUNCTION_TABLE.get(name)
        if implementation is None:  # unreachable after the static check
            raise ScriptError(f"calling {name!r} is not allowed")
        if name in _BULK_FUNCTIONS:
            weight = self.walk([*args, *kwargs.values()])
            if name == "sorted" and args and isinstance(args[0], _ITERABLE_TYPES):
                self.charge(weight * max(1, len(args[0]).bit_length()))
        return self.check_size(implementation(*args, **kwargs))

    def call_method(self, receiver: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        kind = type(receiver)
        if name not in ALLOWED_METHODS.get(kind, frozenset()):
            raise ScriptError(f"method {name!r} is not available on {_type_name(receiver)}")
        self.walk([*args, *kwargs.values()])
        if name in _TRAVERSING_METHODS:
            self.walk([receiver])
        if kind is str:
            self.check_str_method(receiver, name, args)
        elif kind is list:
            self.check_list_method(receiver, name, args)
        elif kind is dict:
            self.check_dict_method(receiver, name, args, kwargs)
        result = getattr(receiver, name)(*args, **kwargs)
        if kind is dict and name in ("keys", "values", "items"):
            result = list(result)
        if name in _ACCESSOR_METHODS:
            return result
        return self.check_size(result)

    def check_str_method(self, receiver: str, name: str, args: list[Any]) -> None:
        if name == "join" and args:
            items = args[0]
            if not isinstance(items, _ITERABLE_TYPES):
                raise ScriptError(f"join() expects a collection of strings, got {_type_name(items)}")
            total = len(receiver) * max(len(items) - 1, 0)
            for item in items:
                if type(item) is not str:
                    raise ScriptError(f"join() expects strings, got {_type_name(item)}")
                total += len(item)
                self.check_length(total)
        elif name == "replace" and len(args) >= 2 and isinstance(args[0], str) and isinstance(args[1], str):
            occurrences = receiver.count(args[0])
            if len(args) > 2 and type(args[2]) is int and args[2] >= 0:
                occurrences = min(occurrences, args[2])
            self.check_length(len(receiver) + occurrences * max(len(args[1]) - len(args[0]), 0))

    def check_list_method(self, receiver: list[Any], name: str, args: list[Any]) -> None:
        if name in ("append", "insert"):
            self.check_length(len(receiver) + 1)
            if args:
                self.walk(args[-1:], avoid=receiver)
        elif name == "extend" and args:
            items = args[0]
            if not isinstance(items, _ITERABLE_TYPES):
                raise ScriptError(f"extend() expects a collection, got {_type_name(items)}")
            self.check_length(len(receiver) + len(items))
            if items is not receiver:
                self.walk(list(items), avoid=receiver)

    def check_dict_method(
        self, receiver: dict[Any, Any], name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        if name == "setdefault":
            self.check_length(len(receiver) + 1)
            self.walk(args[1:], avoid=receiver)
        elif name == "update":
            added = len(kwargs)
            for other in args:
                if not isinstance(other, dict):
                    raise ScriptError(f"update() expects a dict, got {_type_name(other)}")
                added += len(other)
                if other is not receiver:
                    self.walk([*other.keys(), *other.values()], avoid=receiver)
            self.check_length(len(receiver) + added)
            self.walk(list(kwargs.values()), avoid=receiver)

    # -- statements --------------------------------------------------------------------------------

    def stmt_expr(self, node: ast.Expr) -> None:
        self.value_of(node.value)

    def stmt_pass(self, node: ast.Pass) -> None:
        return None

    def stmt_break(self, node: ast.Break) -> None:
        raise _BreakLoop

    def stmt_continue(self, node: ast.Continue) -> None:
        raise _ContinueLoop

    def stmt_if(self, node: ast.If) -> None:
        self.run_block(node.body if self.value_of(node.test) else node.orelse)

    def stmt_for(self, node: ast.For) -> None:
        iterable = self.iterate(self.value_of(node.iter))
        for item in iterable:
            self.tick()
            self.assign(node.target, item)
            try:
                self.run_block(node.body)
            except _BreakLoop:
                return
            except _ContinueLoop:
                continue
        self.run_block(node.orelse)

    def stmt_while(self, node: ast.While) -> None:
        while self.value_of(node.test):
            try:
                self.run_block(node.body)
            except _BreakLoop:
                return
            except _ContinueLoop:
                continue
        self.run_block(node.orelse)

    def stmt_assign(self, node: ast.Assign) -> None:
        value = self.value_of(node.value)
        for target in node.targets:
            self.assign(target, value)

    def stmt_aug_assign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.load_name(target.id)
            self.store_name(target.id, self.binary(node.op, current, self.value_of(node.value)))
            return
        assert isinstance(target, ast.Subscript)
        container = self.value_of(target.value)
        key = self.value_of(target.slice)
        if not isinstance(container, list | dict) or isinstance(key, slice):
            raise ScriptError(f"cannot update an item of {_type_name(container)}")
        self.charge_key(key)
        result = self.binary(node.op, container[key], self.value_of(node.value))
        self.set_item(container, key, result)

    def stmt_delete(self, node: ast.Delete) -> None:
        for target in node.targets:
            if isinstance(target, ast.Name):
                self.delete_name(target.id)
                continue
            assert isinstance(target, ast.Subscript)
            container = self.value_of(target.value)
            key = self.value_of(target.slice)
            if not isinstance(container, list | dict):
                raise ScriptError(f"cannot delete an item of {_type_name(container)}")
            del container[key]

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.store_name(target.id, value)
        elif isinstance(target, ast.Subscript):
            container = self.value_of(target.value)
            self.set_item(container, self.value_of(target.slice), value)
        elif isinstance(target, ast.Tuple | ast.List):
            count = len(target.elts)
            if not isinstance(value, _ITERABLE_TYPES):
                raise ScriptError(f"cannot unpack {_type_name(value)}")
            if len(value) != count:
                raise ScriptError(f"cannot unpack {len(value)} values into {count} targets")
            for element, item in zip(target.elts, list(value), strict=True):
                self.assign(element, item)
        else:  # pragma: no cover - rejected by the check
            raise ScriptError(f"cannot assign to {type(target).__name__}")

    def set_item(self, container: Any, key: Any, value: Any) -> None:
        if isinstance(container, dict):
            self.charge_key(key)
            if key not in container:
                self.check_length(len(container) + 1)
        elif isinstance(container, list):
            if isinstance(key, slice):
                if not isinstance(value, _ITERABLE_TYPES):
                    raise ScriptError(f"can only assign a collection to a slice, not {_type_name(value)}")
                self.check_length(len(container) + len(value))
                self.walk(list(value), avoid=container)
                container[key] = value
                return
        else:
            raise ScriptError(f"cannot assign an item of {_type_name(container)}")
        self.walk([value], avoid=container)
        container[key] = value


_EXPR_HANDLERS: dict[type[ast.AST], Callable[[_Interpreter, Any], Any]] = {
    ast.Constant: _Interpreter.expr_constant,
    ast.Name: _Interpreter.expr_name,
    ast.BoolOp: _Interpreter.expr_bool_op,
    ast.UnaryOp: _Interpreter.expr_unary_op,
    ast.BinOp: _Interpreter.expr_bin_op,
    ast.Compare: _Interpreter.expr_compare,
    ast.IfExp: _Interpreter.expr_if_exp,
    ast.Dict: _Interpreter.expr_dict,
    ast.List: _Interpreter.expr_list,
    ast.Tuple: _Interpreter.expr_tuple,
    ast.Set: _Interpreter.expr_set,
    ast.Subscript: _Interpreter.expr_subscript,
    ast.Slice: _Interpreter.expr_slice,
    ast.Attribute: _Interpreter.expr_attribute,
    ast.JoinedStr: _Interpreter.expr_joined_str,
    ast.FormattedValue: _Interpreter.expr_formatted_value,
    ast.ListComp: _Interpreter.expr_list_comp,
    ast.GeneratorExp: _Interpreter.expr_list_comp,  # materialised as a list
    ast.SetComp: _Interpreter.expr_set_comp,
    ast.DictComp: _Interpreter.expr_dict_comp,
    ast.Call: _Interpreter.expr_call,
}

_STMT_HANDLERS: dict[type[ast.AST], Callable[[_Interpreter, Any], None]] = {
    ast.Expr: _Interpreter.stmt_expr,
    ast.Pass: _Interpreter.stmt_pass,
    ast.Break: _Interpreter.stmt_break,
    ast.Continue: _Interpreter.stmt_continue,
    ast.If: _Interpreter.stmt_if,
    ast.For: _Interpreter.stmt_for,
    ast.While: _Interpreter.stmt_while,
    ast.Assign: _Interpreter.stmt_assign,
    ast.AugAssign: _Interpreter.stmt_aug_assign,
    ast.Delete: _Interpreter.stmt_delete,
}


# --------------------------------------------------------------------------------------------------
# Public entry points


def evaluate(source: str, names: Mapping[str, Any], *, clock: Callable[[], datetime] | None = None) -> Any:
    """Evaluate the expression ``source`` with ``names`` as read-only variables and return its value.

    ``clock`` is what ``now()`` returns (defaults to the system clock, UTC).  Raises
    :class:`ScriptRejected` if the expression fails the static check and :class:`ScriptError` if it
    fails at run time.
    """
    tree = _checked_expression(source)
    return _Interpreter(names, None, {}, clock).value_of(tree.body)


def execute(
    source: str,
    data: dict[str, Any],
    *,
    clock: Callable[[], datetime] | None = None,
    external: Mapping[str, Any] | None = None,
) -> None:
    """Run the script ``source``; assignments to top-level names are written into ``data``.

    Names are read from the script's variables (``data``), then ``external`` (read-only, e.g. the
    workflow's data objects), then the whitelisted functions.  Top-level changes are applied to
    ``data`` only if the whole script succeeds (objects mutated in place, e.g. by ``lst.append``,
    are not rolled back).  Raises :class:`ScriptRejected` or :class:`ScriptError`.
    """
    tree = _checked_script(source)
    working = dict(data)
    _Interpreter(working, working, external or {}, clock).run_block(tree.body)
    for key in [key for key in data if key not in working]:
        del data[key]
    data.update(working)

