"""A new office's first round on a fresh database, by the command line only (SQLite and PostgreSQL).

``init-db``, ``people import`` of a sheet with 20 people in 6 units, ``import-plan`` of the seed,
``fill-in`` of owners and deadlines, then one problem's whole lifecycle — a failed verification
with a new deadline, a leader's extension, 销号, 回头看 finding a rebound with fresh deadlines,
销号 again and 已巩固 — addressed by ledger numbers only. At the end the ledger on screen, the
Excel workbook and the report agree with each other and with the history of deadlines.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import web.cli
from workflows.ledger import SHEET_HEADER, deadline_history_text, ledger_rows, reopen_text
from workflows.models import DeadlineChange, DeadlineSource, InspectionRound, Measure

from .conftest import SEED
from .workflows.evidence_samples import SAMPLES

UNITS = ["区委巡察办", "区委政法委", "办公室", "综治科", "维稳科", "机关党总支"]
# login, name, unit, roles (as an office writes them), phone, e-mail
PEOPLE = [
    ("admin", "孙管理", "区委巡察办", "管理员", "", ""),
    ("ducha", "赵督查", "区委巡察办", "督查", "13800000001", "ducha@example.cn"),
    ("ducha2", "钱督查", "区委巡察办", "督查", "", ""),
    ("shuji", "李书记", "区委政法委", "主要领导", "13800000002", ""),
    ("fushuji", "陈副书记", "区委政法委", "分管领导", "", ""),
    ("changwei", "林常委", "区委政法委", "领导", "", ""),
    *[(f"bgs{i}", f"办公室干部{i}", "办公室", "经办人", "", "") for i in range(1, 4)],
    *[(f"zzk{i}", f"综治科干部{i}", "综治科", "经办人", "", "") for i in range(1, 5)],
    *[(f"wwk{i}", f"维稳科干部{i}", "维稳科", "责任人", "", "") for i in range(1, 4)],
    *[(f"dzz{i}", f"党总支干部{i}", "机关党总支", "经办人", "", "") for i in range(1, 5)],
]
PROBLEM = "2.1"  # 扫黑除恶专项斗争宣传工作不到位: two measures
FIRST, SECOND = "2.1.1", "2.1.2"
PLANNED = date(2027, 3, 31)
AFTER_FAILURE = date(2027, 5, 31)
EXTENDED = date(2027, 6, 30)
AFTER_REBOUND = date(2027, 9, 30)


class Cli:
    """``rectiflow`` on one database; a refused command must be one line, never a traceback."""

    def __init__(self, runner: CliRunner) -> None:
        self.runner = runner

    def __call__(self, *args: str | Path, ok: bool = True) -> str:
        result = self.runner.invoke(web.cli.main, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output
        return result.output

    def complete(self, ref: str, user: str, **data: object) -> str:
        self("claim", ref, "--user", user)
        return self("complete", ref, "--user", user, "--data", json.dumps(data, ensure_ascii=False))

    def rectify(self, officer: str, leader: str, evidence: Path) -> None:
        """Both measures submitted (with a file) and approved, by number."""
        for number in (FIRST, SECOND):
            self("claim", number, "--user", officer)
            self("complete", number, "--user", officer, "--data",
                 json.dumps({"progress": f"{number}已落实", "measure_done": True}), "--file", evidence)
        for number in (FIRST, SECOND):
            self.complete(number, leader, review_decision="approve")


@pytest.fixture
def rectiflow(empty_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", empty_database.url.render_as_string(hide_password=False))
    monkeypatch.setenv("RECTIFLOW_EVIDENCE_DIR", str(tmp_path / "evidence"))
    yield Cli(CliRunner())


def people_sheet(path: Path) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["登录名", "姓名", "单位", "角色", "手机", "邮箱"])
    for row in PEOPLE:
        sheet.append(list(row))
    book.save(path)
    return path


def ledger_line(ledger: str, number: str) -> str:
    return next(line for line in ledger.splitlines() if line.startswith(number + " "))


def test_a_new_office_runs_one_problem_from_plan_to_consolidation(
    rectiflow: Cli, empty_database: Engine, tmp_path: Path
) -> None:
    assert "database ready" in rectiflow("init-db")
    imported = rectiflow("people", "import", people_sheet(tmp_path / "people.xlsx"), "--add-units")
    assert len(PEOPLE) == 20 and len(set(unit for _, _, unit, *_ in PEOPLE)) == len(UNITS) == 6
    assert "20 added" in imported and "6 added" in imported  # people, then units
    listed = rectiflow("units", "list")
    assert all(unit in listed for unit in UNITS)

    assert "lifecycles launched" in rectiflow("import-plan", SEED)
    assert re.search(r"^1\s.*海珠区委政法委\s+广州市区委巡察第8组\s+25\s+55\s", rectiflow("rounds"), re.MULTILINE)
    for number in (FIRST, SECOND):
        rectiflow("fill-in", number, "--deadline", PLANNED.isoformat(), "--leader", "fushuji",
                  "--lead-unit", "综治科", "--units", "综治科")
    assert re.search(rf"^{re.escape(FIRST)}\s.*{PLANNED.isoformat()}", rectiflow("ledger"), re.MULTILINE)

    evidence = tmp_path / "会议纪要.pdf"
    evidence.write_bytes(SAMPLES["pdf"][0])

    # Rectified, then verification fails with a new deadline for every measure.
    rectiflow.rectify("zzk1", "fushuji", evidence)
    assert "待核实" in ledger_line(rectiflow("ledger"), FIRST)
    rectiflow.complete(PROBLEM, "ducha", verify_decision="fail", reason="宣传覆盖面不足",
                       new_deadline=AFTER_FAILURE.isoformat())
    # The leader extends the second measure; an officer may not.
    rectiflow("extend", SECOND, "--deadline", EXTENDED.isoformat(), "--reason", "需协调媒体资源",
              "--user", "zzk1", ok=False)
    rectiflow("extend", SECOND, "--deadline", EXTENDED.isoformat(), "--reason", "需协调媒体资源",
              "--user", "fushuji")
    shown = rectiflow("task", "show", FIRST)
    assert AFTER_FAILURE.isoformat() in shown and "宣传覆盖面不足" in shown

    # Rectified again and closed (销号); the look-back six months on finds a rebound.
    rectiflow.rectify("zzk2", "fushuji", evidence)
    rectiflow.complete(PROBLEM, "ducha", verify_decision="pass")
    assert "已销号" in ledger_line(rectiflow("ledger"), FIRST)
    ticked = rectiflow("tick", "--now", "2027-07-15")
    assert re.search(rf"回头看开始：{re.escape(PROBLEM)}\s", ticked), ticked
    rectiflow.complete(PROBLEM, "ducha2", lookback_decision="rebound", reason="宣传栏再次空置",
                       new_deadline=AFTER_REBOUND.isoformat())
    assert "反弹重启" in ledger_line(rectiflow("ledger"), FIRST)

    # Rectified a third time, closed, and consolidated at the next look-back.
    rectiflow.rectify("zzk1", "fushuji", evidence)
    rectiflow.complete(PROBLEM, "ducha", verify_decision="pass")
    assert re.search(rf"回头看开始：{re.escape(PROBLEM)}\s", rectiflow("tick", "--now", "2027-07-16"))
    rectiflow.complete(PROBLEM, "ducha", lookback_decision="consolidated")
    assert "已巩固" in ledger_line(rectiflow("ledger"), FIRST)

    # The history of deadlines, as stored.
    with Session(empty_database) as session:
        round_ = session.scalars(select(InspectionRound)).one()
        rows = {row.number: row for row in ledger_rows(session, round_)}
        measure_ids = {number: rows[number].measure_id for number in (FIRST, SECOND)}
        history = {number: [(c.old_deadline, c.new_deadline, c.source, c.changed_by) for c in session.scalars(
            select(DeadlineChange).where(DeadlineChange.measure_id == measure_id).order_by(DeadlineChange.id))]
            for number, measure_id in measure_ids.items()}
        current = {number: session.get(Measure, measure_id).deadline for number, measure_id in measure_ids.items()}
    assert history[FIRST] == [
        (None, PLANNED, DeadlineSource.FILL_IN, "admin"),
        (PLANNED, AFTER_FAILURE, DeadlineSource.VERIFICATION_FAILED, "ducha"),
        (AFTER_FAILURE, AFTER_REBOUND, DeadlineSource.REBOUND, "ducha2"),
    ]
    assert history[SECOND] == [
        (None, PLANNED, DeadlineSource.FILL_IN, "admin"),
        (PLANNED, AFTER_FAILURE, DeadlineSource.VERIFICATION_FAILED, "ducha"),
        (AFTER_FAILURE, EXTENDED, DeadlineSource.EXTENSION, "fushuji"),
        (EXTENDED, AFTER_REBOUND, DeadlineSource.REBOUND, "ducha2"),
    ]
    assert current == {FIRST: AFTER_REBOUND, SECOND: AFTER_REBOUND}
    for number in (FIRST, SECOND):
        row = rows[number]
        assert (row.deadline, row.original_deadline, row.evidence_count) == (AFTER_REBOUND, PLANNED, 3)
        assert row.reopen is not None and row.reopen.rebound and row.reopen.reason == "宣传栏再次空置"
    assert "需协调媒体资源" in deadline_history_text(rows[SECOND])

    # The ledger on screen shows the current and the original deadline, and the reopening.
    screen = rectiflow("ledger", "--history")
    assert AFTER_REBOUND.isoformat() in ledger_line(screen, FIRST)
    assert PLANNED.isoformat() in ledger_line(screen, FIRST)
    assert "宣传栏再次空置" in screen

    # The Excel workbook says the same, cell for cell.
    rectiflow("export-ledger", "-o", tmp_path / "ledger.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "ledger.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[2]][:len(SHEET_HEADER)]
    assert header == SHEET_HEADER
    excel = {r[0]: dict(zip(header, r, strict=False)) for r in sheet.iter_rows(min_row=3, values_only=True) if r[0]}
    for number in (FIRST, SECOND):
        cells, row = excel[number], rows[number]
        assert _day(cells["整改时限"]) == AFTER_REBOUND
        assert _day(cells["原定时限"]) == PLANNED
        assert cells["时限调整记录"] == deadline_history_text(row)
        assert cells["反弹重启情况"] == reopen_text(row.reopen)
        assert cells["佐证材料"] in (3, "3")
        assert cells["整改状态"] == "已巩固"

    # And so does the report, in plain text and in Word.
    rectiflow("report", "-o", tmp_path / "report.txt")
    report = (tmp_path / "report.txt").read_text(encoding="utf-8")
    note = f"整改时限：{AFTER_REBOUND.isoformat()}；原定{PLANNED.isoformat()}"
    assert report.count(note) == 2
    assert "反弹重启" in report and "宣传栏再次空置" in report
    rectiflow("report", "-o", tmp_path / "report.docx")
    import docx

    word = "\n".join(p.text for p in docx.Document(str(tmp_path / "report.docx")).paragraphs)
    assert word.count(note) == 2 and "宣传栏再次空置" in word


def _day(value: object) -> date | None:
    if value is None or value == "":
        return None
    return value.date() if hasattr(value, "date") else date.fromisoformat(str(value))


def test_init_db_then_import_plan_needs_nobody_yet(rectiflow: Cli) -> None:
    """Before anyone is added, the office commands run as the literal ``admin``; once an
    administrator exists, only real people may act."""
    rectiflow("init-db")
    assert "25 lifecycles launched" in rectiflow("import-plan", SEED)
    assert "deadline 2027-03-31" in rectiflow("fill-in", "1.1.1", "--deadline", "2027-03-31")
    rectiflow("people", "add", "chief", "--name", "王主任", "--role", "admin", "--password", "chief-password-1")
    assert rectiflow("fill-in", "1.1.2", "--deadline", "2027-03-31", ok=False) == (
        "Error: no active person with login 'admin'\n")
    assert "deadline 2027-03-31" in rectiflow("fill-in", "1.1.2", "--deadline", "2027-03-31", "--user", "chief")
