"""The sandbox interpreter: statements on top of the expression evaluator.

:class:`_Interpreter` runs a tree that passed the static check (:mod:`engine.sandbox.checker`);
:func:`engine.sandbox.evaluate` and :func:`engine.sandbox.execute` create one per run.
"""

from __future__ import annotations

import ast

from .errors import ScriptError
from .expressions import _ExpressionEvaluator
from .interpreter_base import _type_name
from .library import MAX_SIZE


# ``break``/``continue`` unwind the interpreter's Python stack up to the handler of the enclosing loop.
class _BreakLoop(Exception):
    pass


class _ContinueLoop(Exception):
    pass


class _Interpreter(_ExpressionEvaluator):
    """Evaluates a checked tree.  One instance per run; holds the variables and the budgets."""

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
            if not self.run_loop_body(node.body):
                return
        self.run_block(node.orelse)

    def stmt_while(self, node: ast.While) -> None:
        while self.value_of(node.test):
            if not self.run_loop_body(node.body):
                return
        self.run_block(node.orelse)

    def run_loop_body(self, body: list[ast.stmt]) -> bool:
        """Run one pass of a loop's body; False if it ended with ``break`` (``continue`` just ends the pass)."""
        try:
            self.run_block(body)
        except _BreakLoop:
            return False
        except _ContinueLoop:
            pass
        return True

    def stmt_assign(self, node: ast.Assign) -> None:
        value = self.value_of(node.value)
        for target in node.targets:
            self.assign(target, value)

    def stmt_aug_assign(self, node: ast.AugAssign) -> None:
        target = node.target
        if isinstance(target, ast.Name):
            current = self.load_name(target.id)
            self.store_name(target.id, self.binary(node.op, current, self.value_of(node.value)), target)
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
            self.delete_item(self.value_of(target.value), self.value_of(target.slice))

    # -- the run's result --------------------------------------------------------------------------

    def check_variables(self) -> None:
        """Refuse a run whose variables hold more than :data:`MAX_SIZE` elements and characters
        together, counted as saved (a value stored under two names counts twice)."""
        if self.writable is None:
            return
        total, largest, location = 0, -1, None
        for name, target in self.assigned.items():
            if name not in self.writable:
                continue
            value = self.writable[name]
            container = isinstance(value, list | tuple | dict | set | frozenset)
            size = self.content_of(value) if container else self.weight(value)
            total += size
            if size > largest:
                largest, location = size, target
        if total > MAX_SIZE:
            raise ScriptError(
                f"value too large: the script's variables hold {total} elements and characters (limit {MAX_SIZE})",
                lineno=location.lineno if location is not None else None,
                col=location.col_offset if location is not None else None,
            )

    statement_handlers = {
        ast.Expr: stmt_expr,
        ast.Pass: stmt_pass,
        ast.Break: stmt_break,
        ast.Continue: stmt_continue,
        ast.If: stmt_if,
        ast.For: stmt_for,
        ast.While: stmt_while,
        ast.Assign: stmt_assign,
        ast.AugAssign: stmt_aug_assign,
        ast.Delete: stmt_delete,
    }

