"""Expression evaluation of the sandbox interpreter: operators, literals and comprehensions.

Every operation that can allocate or traverse a lot checks the size limits and charges the work
budget of :class:`~engine.sandbox.budget._Budget` *before* doing the work; every container a script
builds is checked for its content, counted as saved (shared references included).  Calls are
evaluated by :mod:`engine.sandbox.calls`.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import Any

from .calls import _CallEvaluator
from .errors import ScriptError
from .interpreter_base import (
    _ARITHMETIC_TYPES,
    _CONTAINER_TYPES,
    _FORMAT_TYPES,
    _ITERABLE_TYPES,
    _NUMBER_TYPES,
    _SUBSCRIPTABLE_TYPES,
    _type_name,
)
from .library import ALLOWED_ATTRIBUTES, MAX_EXPONENT, MAX_FORMAT_NUMBER, MAX_INT_BITS

_BINOP_SYMBOLS: dict[type[ast.AST], str] = {
    ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.FloorDiv: "//", ast.Mod: "%", ast.Pow: "**",
}

_FORMAT_NUMBER = re.compile(r"\d+")


class _ExpressionEvaluator(_CallEvaluator):
    """Evaluates expression nodes; :attr:`expression_handlers` maps each node type to its method."""

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
        # A list or tuple is checked *before* the copy is made: a shared element counts once per
        # reference, so ``[a] * 1000`` costs a thousand times ``a``.
        content = -1
        if kind is ast.Add:
            if isinstance(left, str | list | tuple) and isinstance(right, str | list | tuple):
                self.check_length(len(left) + len(right))
                if type(left) is type(right) and not isinstance(left, str):
                    content = self.content_of(left) + self.content_of(right)
                    self.check_content(content)
            result = self.check_size(left + right, content=content < 0)
            if content >= 0:
                self.remember_if_flat(result, content, left, right)
            return result
        if kind is ast.Mult:
            sequence, count = (left, right) if isinstance(left, str | list | tuple) else (right, left)
            if isinstance(sequence, str | list | tuple) and type(count) in (int, bool):
                self.check_length(len(sequence) * max(count, 0))
                if not isinstance(sequence, str):
                    content = self.content_of(sequence) * max(count, 0)
                    self.check_content(content)
            elif type(left) is int and type(right) is int:
                if left.bit_length() + right.bit_length() > MAX_INT_BITS + 1:
                    raise ScriptError(f"integer too large (limit {MAX_INT_BITS} bits)")
            result = self.check_size(left * right, content=content < 0)
            if content >= 0:
                self.remember_if_flat(result, content, sequence)
            return result
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
        return self.built(result)

    def expr_list(self, node: ast.List) -> Any:
        return self.built([self.value_of(element) for element in node.elts])

    def expr_tuple(self, node: ast.Tuple) -> Any:
        return self.built(tuple(self.value_of(element) for element in node.elts))

    def expr_set(self, node: ast.Set) -> Any:
        result = set()
        for element in node.elts:
            value = self.value_of(element)
            self.charge_key(value)
            result.add(value)
        return self.built(result)

    def built(self, value: Any) -> Any:
        """Check the content of a container the script just built (its length is bounded already)."""
        self.check_content(self.content_of(value))
        return value

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
        return self.built(result)

    def expr_set_comp(self, node: ast.SetComp) -> Any:
        result: set[Any] = set()

        def emit() -> None:
            value = self.value_of(node.elt)
            self.charge_key(value)
            result.add(value)
            self.check_length(len(result))

        self.comprehension(node.generators, emit)
        return self.built(result)

    def expr_dict_comp(self, node: ast.DictComp) -> Any:
        result: dict[Any, Any] = {}

        def emit() -> None:
            key = self.value_of(node.key)
            self.charge_key(key)
            result[key] = self.value_of(node.value)
            self.check_length(len(result))

        self.comprehension(node.generators, emit)
        return self.built(result)

    def iterate(self, value: Any) -> Iterable[Any]:
        if not isinstance(value, _ITERABLE_TYPES):
            raise ScriptError(f"cannot iterate over {_type_name(value)}")
        return value

    expression_handlers = {
        ast.Constant: expr_constant,
        ast.Name: expr_name,
        ast.BoolOp: expr_bool_op,
        ast.UnaryOp: expr_unary_op,
        ast.BinOp: expr_bin_op,
        ast.Compare: expr_compare,
        ast.IfExp: expr_if_exp,
        ast.Dict: expr_dict,
        ast.List: expr_list,
        ast.Tuple: expr_tuple,
        ast.Set: expr_set,
        ast.Subscript: expr_subscript,
        ast.Slice: expr_slice,
        ast.Attribute: expr_attribute,
        ast.JoinedStr: expr_joined_str,
        ast.FormattedValue: expr_formatted_value,
        ast.ListComp: expr_list_comp,
        ast.GeneratorExp: expr_list_comp,  # materialised as a list
        ast.SetComp: expr_set_comp,
        ast.DictComp: expr_dict_comp,
        ast.Call: _CallEvaluator.expr_call,
    }
