"""Calls in the sandbox interpreter: whitelisted functions and methods, with their limits.

Every call that can allocate or traverse a lot checks the size limits and charges the work budget
*before* doing the work; methods that change a list or dict in place account for the references
they add and remove (:meth:`~engine.sandbox.budget._Budget.account`), so the size of everything
holding the receiver stays within the limit.
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from datetime import UTC
from typing import Any

from .errors import ScriptError
from .interpreter_base import _ITERABLE_TYPES, _InterpreterBase, _type_name
from .library import (
    _ACCESSOR_METHODS,
    _BULK_FUNCTIONS,
    _FUNCTION_TABLE,
    _TRAVERSING_METHODS,
    ALLOWED_METHODS,
    MAX_SIZE,
)


class _CallEvaluator(_InterpreterBase):
    """Evaluates call nodes: ``f(...)`` for whitelisted functions, ``x.m(...)`` for methods."""

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

    def render(self, value: Any, convert: Callable[[Any], str]) -> str:
        """``str``/``repr`` with a size check done *before* the text is built."""
        if type(value) is str and convert is str:
            return value
        self.walk([value], cap=MAX_SIZE)
        result = convert(value)
        self.check_size(result)
        return result

    def call_method(self, receiver: Any, name: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        kind = type(receiver)
        if name not in ALLOWED_METHODS.get(kind, frozenset()):
            raise ScriptError(f"method {name!r} is not available on {_type_name(receiver)}")
        self.walk([*args, *kwargs.values()])
        if name in _TRAVERSING_METHODS:
            self.walk([receiver])
        popped_key: list[Any] = []  # the key a dict.pop removes along with its value
        if kind is str:
            self.check_str_method(receiver, name, args)
        elif kind is list:
            self.check_list_method(receiver, name, args)
        elif kind is dict:
            self.check_dict_method(receiver, name, args, kwargs)
            if name == "pop" and args and args[0] in receiver:
                popped_key = args[:1]
        result = getattr(receiver, name)(*args, **kwargs)
        if name == "pop" and (kind is list or popped_key):
            # The removed item is known only now; shrinking needs no check before.
            self.account(receiver, removed=[*popped_key, result])
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
                self.account(receiver, args[-1:])
        elif name == "extend" and args:
            items = args[0]
            if not isinstance(items, _ITERABLE_TYPES):
                raise ScriptError(f"extend() expects a collection, got {_type_name(items)}")
            self.check_length(len(receiver) + len(items))
            added = list(items)
            if items is not receiver:
                self.walk(added, avoid=receiver)
            self.account(receiver, added)
        elif name == "remove" and args:
            # The element removed is the first one *equal* to the argument: account for that one.
            measured = id(receiver) in self.contents
            self.account(receiver, removed=[receiver[receiver.index(args[0])]] if measured else [])

    def check_dict_method(
        self, receiver: dict[Any, Any], name: str, args: list[Any], kwargs: dict[str, Any]
    ) -> None:
        if name == "setdefault":
            self.check_length(len(receiver) + 1)
            self.walk(args[1:], avoid=receiver)
            if args and args[0] not in receiver:
                self.account(receiver, [args[0], args[1] if len(args) > 1 else None])
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
            self.account_update(receiver, [*(item for other in args for item in other.items()), *kwargs.items()])

    def account_update(self, receiver: dict[Any, Any], pairs: list[tuple[Any, Any]]) -> None:
        """``update`` replaces the values of keys it has (keeping the key) and adds the others."""
        added: list[Any] = []
        removed: list[Any] = []
        for key, value in dict(pairs).items():  # a later pair for a key replaces an earlier one
            if key in receiver:
                removed.append(receiver[key])
            else:
                added.append(key)
            added.append(value)
        self.account(receiver, added, removed)

