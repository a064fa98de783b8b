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
* Resource limits: node evaluations (:data:`MAX_STEPS`), the size of data (:data:`MAX_SIZE`), a
  work budget for bulk operations and allocations (:data:`MAX_WORK`), integer size
  (:data:`MAX_INT_BITS`), exponents (:data:`MAX_EXPONENT`) and ranges (:data:`MAX_RANGE`).
  Exceeding one raises :class:`ScriptError`.  Sizes count what a value reaches, as it is saved: a
  shared value counts once per reference (``[a] * 1000`` costs a thousand ``a``), whether the value
  is built, changed in place or stored under several names (:mod:`engine.sandbox.budget`).

Columns in messages are 0-based, like :mod:`ast` offsets; lines are 1-based.

This module is the public API; the implementation is split by concern:

* :mod:`engine.sandbox.errors` -- :class:`ScriptRejected` and :class:`ScriptError`;
* :mod:`engine.sandbox.library` -- limits, date helpers and the whitelisted functions, methods and
  attributes;
* :mod:`engine.sandbox.checker` -- parsing, the static check and the caches of checked trees;
* :mod:`engine.sandbox.budget` -- the step, work and size budgets of a run;
* :mod:`engine.sandbox.interpreter_base`, :mod:`engine.sandbox.calls`,
  :mod:`engine.sandbox.expressions` and :mod:`engine.sandbox.interpreter` -- the interpreter (names
  and assignment, calls, expressions, statements).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from .checker import _checked_expression, _checked_script, check_expression, check_script
from .errors import ScriptError, ScriptRejected
from .interpreter import _Interpreter
from .library import (
    ALLOWED_ATTRIBUTES,
    ALLOWED_FUNCTIONS,
    ALLOWED_METHODS,
    LOCAL_TZ,
    MAX_EXPONENT,
    MAX_INT_BITS,
    MAX_RANGE,
    MAX_SIZE,
    MAX_STEPS,
    MAX_WORK,
    add_months,
    days_between,
    iso,
    parse_date,
)

# Limits that are not in ``__all__`` but have always been importable from here.
from .library import MAX_FORMAT_NUMBER as MAX_FORMAT_NUMBER
from .library import MAX_NESTING as MAX_NESTING
from .library import MAX_ROUND_DIGITS as MAX_ROUND_DIGITS
from .library import MAX_SOURCE_LENGTH as MAX_SOURCE_LENGTH

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

    The variables the script assigns may hold at most :data:`MAX_SIZE` elements and characters
    together (input data counts when the script stores it again, under another name or in a value).

    Names are read from the script's variables (``data``), then ``external`` (read-only, e.g. the
    workflow's data objects), then the whitelisted functions.  Top-level changes are applied to
    ``data`` only if the whole script succeeds (objects mutated in place, e.g. by ``lst.append``,
    are not rolled back).  Raises :class:`ScriptRejected` or :class:`ScriptError`.
    """
    tree = _checked_script(source)
    working = dict(data)
    interpreter = _Interpreter(working, working, external or {}, clock)
    interpreter.run_block(tree.body)
    interpreter.check_variables()
    for key in [key for key in data if key not in working]:
        del data[key]
    data.update(working)
