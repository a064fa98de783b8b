"""The CLI walks one demo problem from submission to 销号 and on to 回头看, by hand."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from web.cli import main


@pytest.fixture
def rectiflow(empty_database, monkeypatch):
    """The CLI on a fresh database, SQLite and PostgreSQL."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", empty_database.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        return result.output

    return run


def first_task(output: str, number: str) -> str:
    """The id (first column) of the first task on the ledger number ``number`` (second column)."""
    match = re.search(rf"^(\d+)\s+{re.escape(number)}\s", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def status_of(ledger: str, number: str) -> tuple[str, str]:
    line = next(line for line in ledger.splitlines() if line.startswith(number + " "))
    cells = line.split()
    return cells[2], cells[-1]  # problem status, measure status


def test_one_problem_from_submission_to_closure(rectiflow):
    assert "demo loaded: round 1: 10 parts" in rectiflow("demo")
    assert "demo already loaded, nothing added" in rectiflow("demo")  # a second run duplicates nothing

    for number in ("1.2.1", "1.2.2", "1.2.3"):
        task = first_task(rectiflow("tasks", "--user", "dzz"), number)
        assert status_of(rectiflow("ledger"), number)[1] == "待整改"
        rectiflow("claim", task, "--user", "dzz")
        assert status_of(rectiflow("ledger"), number)[1] == "整改中"
        rectiflow("complete", task, "--user", "dzz", "--data", json.dumps({"progress": "已落实"}))
        assert status_of(rectiflow("ledger"), number)[1] == "待审批"
    assert status_of(rectiflow("ledger"), "1.2.1")[0] == "待审批"

    inbox = rectiflow("tasks", "--user", "shuji")
    approvals = [first_task(inbox, f"1.2.{n}") for n in (1, 2, 3)]
    for task in approvals:
        rectiflow("claim", task, "--user", "shuji")
    # A return needs a reason; then the measure goes back to the officer.
    assert "reason is required" in rectiflow("complete", approvals[0], "--user", "shuji", "--data",
                                             '{"review_decision": "return"}', ok=False)
    rectiflow("complete", approvals[0], "--user", "shuji", "--data",
              '{"review_decision": "return", "reason": "缺少签到表"}')
    assert status_of(rectiflow("ledger"), "1.2.1")[1] == "整改中"
    for task in approvals[1:]:
        rectiflow("complete", task, "--user", "shuji", "--data", '{"review_decision": "approve"}')
    assert status_of(rectiflow("ledger"), "1.2.2")[1] == "已完成"

    again = first_task(rectiflow("tasks", "--user", "dzz"), "1.2.1")
    rectiflow("claim", again, "--user", "dzz")
    rectiflow("complete", again, "--user", "dzz", "--data", '{"progress": "已补充签到表"}')
    approve = first_task(rectiflow("tasks", "--user", "shuji"), "1.2.1")
    rectiflow("claim", approve, "--user", "shuji")
    rectiflow("complete", approve, "--user", "shuji", "--data", '{"review_decision": "approve"}')
    assert status_of(rectiflow("ledger"), "1.2.1") == ("待核实", "已完成")

    verify = first_task(rectiflow("tasks", "--user", "ducha"), "1.2")
    rectiflow("claim", verify, "--user", "ducha")
    rectiflow("complete", verify, "--user", "ducha", "--data", '{"verify_decision": "pass"}')
    assert status_of(rectiflow("ledger"), "1.2.1")[0] == "已销号"

    assert "  回头看开始：1.2 党性教育开展不扎实\n" in rectiflow("tick", "--now", "2099-01-01")
    assert status_of(rectiflow("ledger"), "1.2.1")[0] == "回头看"


def test_bad_input_is_a_clear_error(rectiflow):
    rectiflow("demo")
    assert "no active person" in rectiflow("tasks", "--user", "nobody", ok=False)
    assert "does not exist" in rectiflow("claim", "99999", "--user", "dzz", ok=False)
    assert "not valid JSON" in rectiflow("complete", "1", "--user", "dzz", "--data", "{oops", ok=False)
    assert "must be claimed" in rectiflow("complete", "1", "--user", "dzz", "--data", "{}", ok=False)
    assert "may not claim" in rectiflow("claim", "1", "--user", "ducha", ok=False)
    assert "not an ISO 8601" in rectiflow("tick", "--now", "yesterday", ok=False)
    assert "Traceback" not in rectiflow("deploy", "/nonexistent.bpmn", ok=False)
