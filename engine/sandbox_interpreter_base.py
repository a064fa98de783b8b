"""State of one sandboxed run: variables, budgets, node dispatch, name lookup and assignment.

:class:`_InterpreterBase` is what the expression evaluator (:mod:`engine.sandbox_expressions`) and
the statement runner (:mod:`engine.sandbox_interpreter`) build on.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from .sandbox_errors import ScriptError
from .sandbox_library import ALLOWED_FUNCTIONS, MAX_INT_BITS, MAX_SIZE, MAX_STEPS, MAX_WORK, _default_clock

# Built-in types the interpreter's operations accept, by kind of operation.
_ITERABLE_TYPES = (list, tuple, str, dict, set, frozenset, range)
_SUBSCRIPTABLE_TYPES = (list, tuple, str, dict, range)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
_SIZED_RESULT_TYPES = (str, list, tuple, dict, set, frozenset)
_ARITHMETIC_TYPES = frozenset(
    {bool, int, float, str, list, tuple, set, frozenset, date, datetime, timedelta}
)
_NUMBER_TYPES = frozenset({bool, int, float})
_FORMAT_TYPES = frozenset({str, int, float, bool, date, datetime, timedelta})

# Python errors a bad operand can raise inside a handler; they become ScriptErrors with a location.
_CONVERTED_ERRORS = (
    ArithmeticError, LookupError, TypeError, ValueError, AttributeError, RuntimeError, MemoryError,
)


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


class _InterpreterBase:
    """Variables, budgets and dispatch of one run; the handlers are defined by the subclasses.

    Names resolve in the comprehension scopes, then ``variables``, then ``fallback``; only
    ``writable`` (``None`` for an expression) can be assigned.
    """

    # Handler of each node type, by node class.  A class attribute rather than a module table so the
    # handlers can live in the modules of the subclasses that define them.
    expression_handlers: ClassVar[Mapping[type[ast.AST], Callable[[Any, Any], Any]]] = {}
    statement_handlers: ClassVar[Mapping[type[ast.AST], Callable[[Any, Any], None]]] = {}

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

    def check_length(self, length: int) -> None:
        if length > MAX_SIZE:
            raise ScriptError(f"result too large ({length} items, limit {MAX_SIZE})")

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
            return self.expression_handlers[type(node)](self, node)
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
            self.statement_handlers[type(node)](self, node)
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

    # -- assignment targets ------------------------------------------------------------------------

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
