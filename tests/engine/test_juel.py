"""Plain JUEL (Camunda's and Flowable's ``${…}``) becomes the Python it means; anything else is not translated."""

from __future__ import annotations

import pytest

from engine.juel import is_juel, to_python


@pytest.mark.parametrize(("juel", "python"), [
    ("${amount > 1000}", "amount > 1000"),
    ("${approved}", "approved"),
    ('${decision == "approve"}', 'decision == "approve"'),
    ("${!rejected && score ge 60}", "not rejected and score >= 60"),
    ("${a || (b and not c)}", "a or (b and not c)"),
    ("#{a eq 'yes'}", "a == 'yes'"),
    ("${x != null}", "x != None"),
    ("${count mod 2 == 0 || total div 2 lt 1.5}", "count % 2 == 0 or total / 2 < 1.5"),
    ("${empty items}", "not items"),
    ("${flag == true}", "flag == True"),
])
def test_plain_juel_is_translated(juel: str, python: str) -> None:
    assert is_juel(juel) and to_python(juel) == python


@pytest.mark.parametrize("juel", [
    '${execution.getVariable("x")}', "${x ? 1 : 2}", "${a.b}", "${list[0]}", "${x instanceof y}",
    "${True}", "${}", "total ${x}", "${a} and ${b}",
])
def test_anything_else_is_left_alone(juel: str) -> None:
    assert to_python(juel) is None


def test_python_is_not_juel() -> None:
    assert not is_juel("amount > 5") and to_python("amount > 5") is None
