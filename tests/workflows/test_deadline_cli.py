"""The deadline commands as an operator runs them: ``extend``, ``fill-in --reason``, ``complete`` of a
failed verification, and what ``ledger`` (and ``ledger --history``) shows afterwards."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import HumanTask, TaskStatus
from web.cli import main
from workflows.models import Measure, Part, Problem

Run = Callable[..., str]


@pytest.fixture
def rectiflow(demo_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Run:
    """The CLI on a database of its own (SQLite and PostgreSQL) with the demo loaded."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", demo_database.url.render_as_string(hide_password=False))
    runner = CliRunner()

    def run(*args: str, ok: bool = True) -> str:
        result = runner.invoke(main, list(args), catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def measure(engine: Engine, number: str) -> tuple[int, date | None]:
    """The id and deadline of demo measure ``number``, read from the database."""
    part, problem, ordinal = (int(n) for n in number.split("."))
    with Session(engine) as session:
        found = session.execute(
            select(Measure.id, Measure.deadline).join(Problem).join(Part)
            .where(Part.ordinal == part, Problem.ordinal == problem, Measure.ordinal == ordinal)
        ).one()
    return found[0], found[1]


def open_task(engine: Engine, item_key: str, stage: str) -> str:
    with Session(engine) as session:
        task_id = session.scalar(select(HumanTask.id).where(
            HumanTask.item_key == item_key, HumanTask.stage == stage, HumanTask.status == TaskStatus.OPEN))
    assert task_id is not None, (item_key, stage)
    return str(task_id)


def ledger_line(output: str, number: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(number + " "))


def test_a_leader_extends_a_deadline_from_the_command_line(rectiflow: Run, demo_database: Engine) -> None:
    measure_id, planned = measure(demo_database, "1.2.1")
    assert planned is not None
    before = rectiflow("ledger")

    refused = rectiflow("extend", "1.2.1", "--deadline", "2099-12-31", "--reason", "需协调", "--user", "dzz", ok=False)
    assert "dzz may not extend the deadline" in refused
    assert "Missing option '--reason'" in rectiflow("extend", "1.2.1", "--deadline", "2099-12-31", "--user", "shuji",
                                                    ok=False)
    assert "not a date" in rectiflow("extend", "1.2.1", "--deadline", "明年", "--reason", "x", "--user", "shuji",
                                     ok=False)
    assert rectiflow("ledger") == before  # refusals change nothing

    done = rectiflow("extend", "1.2.1", "--deadline", "2099-12-31", "--reason", "需协调上级部门", "--user", "shuji")
    assert done.strip() == f"measure 1.2.1: deadline {planned.isoformat()} → 2099-12-31 (批准延期: 需协调上级部门)"
    assert "already 2099-12-31" in rectiflow("extend", "1.2.1", "--deadline", "2099-12-31", "--reason", "再次",
                                             "--user", "shuji", ok=False)
    assert measure(demo_database, "1.2.1") == (measure_id, date(2099, 12, 31))
    # the running lifecycle's open task for the measure is due on the new date
    with Session(demo_database) as session:
        due = session.scalar(select(HumanTask.due_at).where(HumanTask.item_key == f"measure:{measure_id}",
                                                            HumanTask.status == TaskStatus.OPEN))
    assert due is not None and due.year == 2099

    rectiflow("fill-in", "1.2.2", "--deadline", "2099-06-30", "--reason", "补录正式时限")
    ledger = rectiflow("ledger")
    line = ledger_line(ledger, "1.2.1")
    assert "2099-12-31" in line and planned.isoformat() in line  # 整改时限 and 原定时限
    header = ["序号", "问题", "问题状态", "整改措施", "整改时限", "预警", "原定时限", "措施状态"]
    assert ledger.splitlines()[1].split() == header
    assert line.split()[-1] == "待整改"  # the measure's status is still the last column
    assert "时限调整" not in ledger

    history = rectiflow("ledger", "--history")
    assert (f"  1.2.1  原定时限{planned.isoformat()}，调整后时限2099-12-31。调整记录："
            f"{planned.isoformat()}→2099-12-31（批准延期，李书记，") in history
    assert "（补录，系统管理员，" in history and "：补录正式时限）" in history


def test_a_failed_verification_shows_its_new_deadline_and_reason(rectiflow: Run, demo_database: Engine) -> None:
    first, planned = measure(demo_database, "1.1.1")
    second, _ = measure(demo_database, "1.1.2")
    for measure_id in (first, second):
        task = open_task(demo_database, f"measure:{measure_id}", "measure_submit")
        rectiflow("claim", task, "--user", "dzz")
        rectiflow("complete", task, "--user", "dzz", "--data", json.dumps({"progress": "已落实"}))
        task = open_task(demo_database, f"measure:{measure_id}", "measure_approve")
        rectiflow("claim", task, "--user", "shuji")
        rectiflow("complete", task, "--user", "shuji", "--data", '{"review_decision": "approve"}')
    with Session(demo_database) as session:
        problem_key = f"problem:{session.get(Measure, first).problem_id}"  # type: ignore[union-attr]
    verify = open_task(demo_database, problem_key, "verify")
    rectiflow("claim", verify, "--user", "ducha")
    rectiflow("complete", verify, "--user", "ducha", "--data", json.dumps(
        {"verify_decision": "fail", "reason": "学习记录不全", "new_deadline": "2099-03-31"}))

    ledger = rectiflow("ledger")
    assert "2099-03-31" in ledger_line(ledger, "1.1.1") and planned.isoformat() in ledger_line(ledger, "1.1.1")
    reopened = ledger.split("重启整改：", 1)[1]
    assert "  1.1  核实未通过，重新整改（赵督查，" in reopened and "）。原因：学习记录不全" in reopened
    history = rectiflow("ledger", "--history")
    assert "（核实未通过，赵督查，" in history and "：学习记录不全）" in history
