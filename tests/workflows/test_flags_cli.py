"""``flag``, ``unflag``, ``flags`` and the warning colours of ``ledger``, ``ledger --json`` and
``export-ledger``, as an operator runs them, on the app's clock (a FixedClock moved by the test)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, WorkflowEngine
from web.app import create_app
from workflows.ledger import ledger_rows
from workflows.models import InspectionRound

from ..conftest import START
from .deadline_world import make_world


def china(day: str, hour: int = 9) -> datetime:
    return datetime.fromisoformat(f"{day}T{hour:02d}:00:00+08:00").astimezone(UTC)


def app_on(db_engine: Engine, clock: FixedClock, **config: Any) -> Flask:
    """The app on the test database with the workflow engine on ``clock`` (test-only setting)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret-key", "DB_ENGINE": db_engine,
                       "ENGINE_CLOCK": clock, **config})


@dataclass
class Office:
    """The small plan committed to the test database, and the command line of an app on ``clock``."""

    clock: FixedClock
    db_engine: Engine
    sessions: sessionmaker[Session]
    runner: FlaskCliRunner

    def run(self, *args: str | Path, ok: bool = True) -> str:
        """One command; its exit status as ``ok`` says, never a traceback."""
        result = self.runner.invoke(args=[str(a) for a in args])
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output and "internal error" not in result.output
        return str(result.output)


@pytest.fixture
def office(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Office:
    clock = FixedClock(START)
    with committing_sessions() as session:
        make_world(session, WorkflowEngine(clock=clock))  # officer1, sup1 王督查, leader1 李书记, …
        session.commit()
    return Office(clock, db_engine, committing_sessions, app_on(db_engine, clock).test_cli_runner())


def line_of(output: str, start: str) -> str:
    return next(line for line in output.splitlines() if line.startswith(start))


def test_supervision_flags_lists_and_unflags_a_problem(office: Office) -> None:
    run = office.run
    flag = ("flag", "1.1", "--deadline", "2026-01-12")
    refusals = {
        (*flag, "--reason", "进度滞后", "--user", "officer1"):
            "Error: officer1 may not flag problem 1.1: only supervision (督查) or an administrator may",
        (*flag, "--reason", "  ", "--user", "sup1"): "Error: to flag problem 1.1 give a reason (--reason)",
        ("flag", "1.1", "--deadline", "2026-01-04", "--reason", "进度滞后", "--user", "sup1"):
            "Error: the 督办时限 2026-01-04 has already passed (today is 2026-01-05); give today or a later date",
        ("flag", "1.1", "--deadline", "下周", "--reason", "进度滞后", "--user", "sup1"):
            "Error: not a date (YYYY-MM-DD): '下周'",
        ("flag", "1.1.1", "--deadline", "2026-01-12", "--reason", "进度滞后", "--user", "sup1"):
            "Error: a flag names a problem by its ledger number, e.g. 2.1, not '1.1.1'; its problem is 1.1",
        ("unflag", "1.1", "--reason", "误操作", "--user", "sup1"): "Error: problem 1.1 is not flagged",
    }
    empty = run("flags")
    for args, error in refusals.items():
        assert run(*args, ok=False).strip() == error
    assert run("flags") == empty and empty.splitlines()[1] == "(none)"

    assert run(*flag, "--reason", "理论学习整改进度滞后", "--user", "sup1").strip() == (
        "problem 1.1 flagged (挂牌督办): 督办时限 2026-01-12, reason: 理论学习整改进度滞后")
    listed = line_of(run("flags"), "1.1 ").split()
    assert listed == ["1.1", "理论学习不够深入", "理论学习整改进度滞后", "2026-01-12", "黄（剩7天）", "王督查",
                      "2026-01-05"]
    assert "already flagged" in run(*flag, "--reason", "再次", "--user", "sup1", ok=False)

    office.clock.set(china("2026-01-13", 0))  # the 督办时限's day has ended
    assert line_of(run("flags"), "1.1 ").split()[4] == "红（逾期1天）"
    ledger = run("ledger")
    assert all("【挂牌】理论学习不够深入" in line_of(ledger, n) for n in ("1.1.1", "1.1.2"))
    assert "【挂牌】" not in line_of(ledger, "2.1.1")
    assert "  1.1  督办时限2026-01-12  红（逾期1天）  理论学习整改进度滞后（王督查，2026-01-05挂牌）" in ledger
    assert "  1.1  红（逾期1天）  理论学习不够深入" in ledger.split("问题预警：", 1)[1]  # the flag makes 1.1 red
    assert line_of(ledger, "1.1.1").split()[5] == "绿（剩77天）"  # while its measures are not late

    assert run("unflag", "1.1", "--reason", "已按期整改", "--user", "sup1").strip() == (
        "problem 1.1 unflagged (督办时限 was 2026-01-12): 已按期整改")
    assert run("flags").splitlines()[1] == "(none)" and "【挂牌】" not in run("ledger")
    lifted = line_of(run("flags", "--all"), "1.1 ")
    assert lifted.endswith("已撤销（王督查，2026-01-13：已按期整改）")


def test_the_ledger_its_json_and_the_excel_sheet_show_the_same_colours(office: Office, tmp_path: Path) -> None:
    run = office.run
    office.clock.set(china("2026-03-25"))
    expected = {"1.1.1": ("yellow", 6, "黄（剩6天）"), "1.1.2": ("green", 97, "绿（剩97天）"),
                "1.2.1": ("blue", None, "蓝（长期整改）"), "2.1.1": ("red", -25, "红（逾期25天）")}

    ledger = run("ledger")
    assert ledger.splitlines()[1].split() == ["序号", "问题", "问题状态", "整改措施", "整改时限", "预警", "原定时限",
                                              "措施状态"]
    for number, (_, _, text) in expected.items():
        assert text in line_of(ledger, number)
    assert "措施预警（2026-03-25）：红 2，黄 1，绿 1，蓝 1" in ledger

    document = json.loads(run("ledger", "--json"))
    assert (document["at"], document["window_days"]) == (office.clock().isoformat(), 10)
    found = {row["number"]: row for row in document["rows"]}
    for number, (colour, days, text) in expected.items():
        assert found[number]["warning"] == {"colour": colour, "days_left": days, "text": text}
    assert found["1.1.2"]["problem_warning"] == found["1.1.1"]["warning"] and found["1.1.1"]["flag"] is None
    with office.sessions() as session:  # the service gives the same, read at the same moment
        round_ = session.query(InspectionRound).one()
        rows = ledger_rows(session, round_, now=office.clock(), window_days=10)
        assert {r.number: r.warning.colour.value for r in rows if r.warning} == {
            n: row["warning"]["colour"] for n, row in found.items() if row["warning"]}

    run("export-ledger", "-o", tmp_path / "台账.xlsx")
    sheet = load_workbook(tmp_path / "台账.xlsx").worksheets[0]
    col = [c.value for c in sheet[2]].index("预警") + 1
    cells = {sheet.cell(r, 1).value: sheet.cell(r, col) for r in range(3, sheet.max_row + 1)}
    fills = {"yellow": "00FFEB9C", "green": "00C6EFCE", "blue": "00BDD7EE", "red": "00FFC7CE"}
    for number, (colour, _, text) in expected.items():
        assert (cells[number].value, cells[number].fill.fgColor.rgb) == (text, fills[colour])


def test_the_configured_window_reaches_every_view(office: Office, tmp_path: Path) -> None:
    office.clock.set(china("2026-03-11"))  # 1.1.1 is 20 days from its deadline
    assert "绿（剩20天）" in line_of(office.run("ledger"), "1.1.1")
    wide = app_on(office.db_engine, office.clock, WARNING_WINDOW_DAYS=20).test_cli_runner()
    shown = wide.invoke(args=["ledger"])
    assert shown.exit_code == 0 and "黄（剩20天）" in line_of(shown.output, "1.1.1")
    document = json.loads(wide.invoke(args=["ledger", "--json"]).output)
    assert document["window_days"] == 20 and document["rows"][0]["warning"]["colour"] == "yellow"
    assert wide.invoke(args=["export-ledger", "-o", str(tmp_path / "wide.xlsx")]).exit_code == 0
    sheet = load_workbook(tmp_path / "wide.xlsx").worksheets[0]
    col = [c.value for c in sheet[2]].index("预警") + 1
    assert sheet.cell(3, col).value == "黄（剩20天）"
