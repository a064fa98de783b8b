"""Static check of sandboxed scripts: parse with :mod:`ast`, then walk the tree against the whitelist.

Nothing here runs user code.  Checked trees are cached by source, so a diagram's scripts are parsed
and checked once and then only interpreted.
"""

from __future__ import annotations

import ast
import builtins
import functools
from collections.abc import Callable, Iterable
from typing import Any, NoReturn

from .errors import ScriptRejected
from .library import (
    _ATTRIBUTE_NAMES,
    _METHOD_NAMES,
    _MUTATING_METHODS,
    ALLOWED_FUNCTIONS,
    MAX_NESTING,
    MAX_SOURCE_LENGTH,
)

_DENIED_NAMES: frozenset[str] = frozenset(dir(builtins)) - ALLOWED_FUNCTIONS
"""Python builtins that are not whitelisted: ``eval exec open getattr type print ...``.

They are rejected statically even as variable names, so a script can never mean them.
"""

_CONSTANT_TYPES = frozenset({str, int, float, bool, type(None)})


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
