"""State of one sandboxed run: variables, budgets, node dispatch, name lookup and assignment.

:class:`_InterpreterBase` is what the expression evaluator (:mod:`engine.sandbox.expressions`) and
the statement runner (:mod:`engine.sandbox.interpreter`) build on.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping, MutableMapping
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from .budget import _Budget
from .errors import ScriptError
from .library import ALLOWED_FUNCTIONS, _default_clock

# Built-in types the interpreter's operations accept, by kind of operation.
_ITERABLE_TYPES = (list, tuple, str, dict, set, frozenset, range)
_SUBSCRIPTABLE_TYPES = (list, tuple, str, dict, range)
_CONTAINER_TYPES = (list, tuple, dict, set, frozenset)
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


class _InterpreterBase(_Budget):
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
        # The budgets, set here rather than in _Budget.__init__: a run is often a single comparison.
        self.steps = self.work = 0
        self.contents = {}
        self.holders = {}
        self.recent = {}
        self.variables = variables
        self.writable = writable
        self.fallback = fallback
        self.clock = clock or _default_clock
        self.scopes: list[dict[str, Any]] = []
        # Top-level names the script assigned, with the target of the last assignment: the data a
        # run writes is checked as a whole at the end (one value under several names counts twice).
        self.assigned: dict[str, ast.expr | None] = {}

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

    def store_name(self, name: str, value: Any, target: ast.expr | None = None) -> None:
        if self.scopes:
            self.scopes[-1][name] = value
        elif self.writable is not None:
            self.writable[name] = value
            self.assigned[name] = target
        else:  # unreachable after the static check
            raise ScriptError("expressions cannot assign variables")

    def delete_name(self, name: str) -> None:
        for scope in reversed(self.scopes):
            if name in scope:
                del scope[name]
                return
        if self.writable is not None and name in self.writable:
            del self.writable[name]
            self.assigned.pop(name, None)
            return
        raise ScriptError(f"name {name!r} is not defined")

    # -- assignment targets ------------------------------------------------------------------------

    def assign(self, target: ast.expr, value: Any) -> None:
        if isinstance(target, ast.Name):
            self.store_name(target.id, value, target)
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
            present = key in container
            if not present:
                self.check_length(len(container) + 1)
            self.walk([value], avoid=container)
            if present:
                self.account(container, [value], [container[key]])
            else:
                self.account(container, [key, value])
        elif isinstance(container, list):
            if isinstance(key, slice):
                if not isinstance(value, _ITERABLE_TYPES):
                    raise ScriptError(f"can only assign a collection to a slice, not {_type_name(value)}")
                self.check_length(len(container) + len(value))
                items = list(value)
                self.walk(items, avoid=container)
                self.account(container, items, container[key])
            else:
                self.walk([value], avoid=container)
                self.account(container, [value], [container[key]])
        else:
            raise ScriptError(f"cannot assign an item of {_type_name(container)}")
        container[key] = value

    def delete_item(self, container: Any, key: Any) -> None:
        if not isinstance(container, list | dict):
            raise ScriptError(f"cannot delete an item of {_type_name(container)}")
        if isinstance(container, dict):
            self.account(container, removed=[key, container[key]])
        else:
            removed = container[key]
            self.account(container, removed=removed if isinstance(key, slice) else [removed])
        del container[key]
