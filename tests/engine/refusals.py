"""What every deploy refusal must carry (issue 14): the file, and for an element its id, BPMN type,
line and name when it has one, what is wrong and a hint that ends the message; no Python repr."""

from __future__ import annotations

import re

from engine import DeployError

REPR = re.compile(r"<Element|object at 0x|TypeError|KeyError|AttributeError|ValueError|Traceback|\w+Exception\(")


def assert_actionable(error: DeployError, source: str) -> str:
    """Check every problem of ``error``; returns the message (the first problem's)."""
    message = str(error)
    assert error.problems, message
    for problem in error.problems:
        text = problem.message
        assert text.startswith(f"{source}: ") and "\n" not in text, text
        assert problem.file == source, problem
        assert problem.hint and text.endswith(problem.hint), f"no hint ending: {text}"
        assert not REPR.search(text), text
        if problem.element_id is not None:
            assert problem.line and problem.element_type, problem
            # a very long id is shown clipped ('aaaa…'), never whole
            assert f"'{problem.element_id[:40]}" in text and f"line {problem.line}" in text, text
            if problem.name:
                assert f'"{problem.name}"' in text, text
    return message
