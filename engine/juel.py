"""Camunda's and Flowable's expression language (JUEL), its plain subset, in the engine's Python.

Camunda Modeler writes conditions as ``${amount > 1000}``, ``${approved}``, ``${decision == 'yes'}``,
``${!rejected && score ge 60}``. The subset of comparisons, logic, arithmetic, literals and variable
names means the same in both languages once the operators are renamed, so deploy evaluates it as
Python (``amount > 1000``). Anything else — method calls (``execution.getVariable``), member access,
the ternary operator, ``instanceof`` — has no one meaning over the process data and is refused with
the hint to write it in Python.
"""

from __future__ import annotations

import re

_WRAPPED = re.compile(r"^\s*[$#]\{(?P<body>.*)\}\s*$", re.DOTALL)
_TOKEN = re.compile(
    r"""\s*(?:(?P<number>\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)"""
    r"""|(?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")"""
    r"""|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"""
    r"""|(?P<op>&&|\|\||==|!=|<=|>=|[<>!+\-*/%()]))""",
)
_WORDS = {"and": "and", "or": "or", "not": "not", "eq": "==", "ne": "!=", "lt": "<", "gt": ">", "le": "<=",
          "ge": ">=", "div": "/", "mod": "%", "true": "True", "false": "False", "null": "None", "empty": "not"}
_REFUSED_WORDS = frozenset({"instanceof", "execution", "task", "authenticatedUserId"})
_OPS = {"&&": "and", "||": "or", "!": "not"}


def is_juel(source: str) -> bool:
    """True for text written as one ``${…}`` or ``#{…}`` expression."""
    return _WRAPPED.match(source) is not None


def to_python(source: str) -> str | None:
    """The Python expression a plain JUEL expression means, or ``None`` when it is not that plain."""
    wrapped = _WRAPPED.match(source)
    if wrapped is None:
        return None
    body, position, out = wrapped.group("body"), 0, []
    while position < len(body):
        if not body[position:].strip():
            break
        token = _TOKEN.match(body, position)
        if token is None or token.end() == position:
            return None  # '.', '?', '[', a call's comma: not in the plain subset
        position = token.end()
        kind = token.lastgroup
        text = token.group(kind) if kind else ""
        if kind == "name":
            if text in _REFUSED_WORDS or text in ("True", "False", "None"):
                return None
            text = _WORDS.get(text, text)
        elif kind == "op":
            text = _OPS.get(text, text)
        out.append(text)
    if not out:
        return None
    python = " ".join(out).replace("( ", "(").replace(" )", ")")
    return python
