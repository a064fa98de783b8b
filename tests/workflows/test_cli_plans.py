"""The plan commands of the ``rectiflow`` CLI on a SQLite file, as an operator would run them."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from docx import Document
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import web.cli
from engine.db import make_engine, make_session_factory
from workflows.people import deactivate_person, person_by_login
from workflows.plan_import import parse_file, parse_text
from workflows.plans import rounds

from ..conftest import SEED
from .plan_fixtures import plan_counts

SUMMARY = "parts: 10  problems: 25  measures: 55  unassigned: 0"


class Cli:
    """Runs ``rectiflow`` commands against one database file."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.runner = CliRunner()

    def __call__(self, *args: str | Path, ok: bool = True) -> Result:
        env = {"RECTIFLOW_DATABASE_URL": self.url}
        result = self.runner.invoke(web.cli.main, [str(a) for a in args], env=env)
        if ok:
            assert result.exit_code == 0, result.output
        else:
            assert result.exit_code != 0, result.output
            assert isinstance(result.exception, SystemExit), "a failure must not end in a traceback"
            assert "Traceback" not in result.output
        return result

    def counts(self) -> dict[str, int]:
        with self.session() as session:
            return plan_counts(session)

    def session(self) -> Session:
        if self._engine is None:
            self._engine = make_engine(self.url)
        return make_session_factory(self._engine)()

    _engine: Engine | None = None


@pytest.fixture
def cli(empty_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """A fresh database (SQLite and PostgreSQL) with the schema and the deployed lifecycle."""
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    runner = Cli(empty_database.url.render_as_string(hide_password=False))
    runner("init-db")
    assert "rectification" in runner("deploy").output
    add_admin(runner)
    yield runner
    if runner._engine is not None:
        runner._engine.dispose()


def add_admin(runner: Cli) -> None:
    """The administrator the plan commands act as by default (``--user admin``)."""
    added = runner("people", "add", "admin", "--name", "管理员", "--role", "admin", "--password", "admin-password")
    assert "person admin added: admin" in added.output


def test_plan_commands_act_only_as_an_active_person(cli: Cli, tmp_path: Path) -> None:
    cli("import-plan", SEED, "--no-launch")
    ledger = tmp_path / "ledger.xlsx"
    cli("export-ledger", "-o", ledger)
    with cli.session() as session:
        admin = person_by_login(session, "admin")
        assert admin is not None
        deactivate_person(session, admin, actor="test", at=datetime(2026, 1, 1, tzinfo=UTC))
        session.commit()
    before = cli.counts()
    for login in ("nobody", "admin"):  # unknown, and no longer active
        for args in (("import-plan", SEED), ("fill-in", "1.1.1", "--deadline", "2026-03-31"),
                     ("import-ledger", ledger)):
            assert f"no active person with login '{login}'" in cli(*args, "--user", login, ok=False).output
    assert cli.counts() == before


def test_dry_run_prints_the_tree_and_ends_with_the_summary(cli: Cli) -> None:
    before = cli.counts()
    lines = cli("import-plan", SEED, "--dry-run").output.splitlines()
    assert lines[-1] == SUMMARY == parse_file(SEED).summary_line()
    assert "第8部分 基层党组织建设方面  [2 problems]" in lines
    assert "  8.1 党建工作重视不够  [3 measures]" in lines
    assert cli.counts() == before


def test_dry_run_json_is_one_document(cli: Cli) -> None:
    data = json.loads(cli("import-plan", SEED, "--dry-run", "--json").stdout)
    assert data["counts"] == {"parts": 10, "problems": 25, "measures": 55, "unassigned": 0}
    assert data["parts"][0]["problems"][0]["title"] == "理论学习不够深入"
    assert data["meta"]["feedback_date"] == "2020-10-21"
    assert data["round_kind"] == "巡察" and data["doubtful"] == []
    assert {m["rule"] for p in data["parts"] for q in p["problems"] for m in q["measures"]} == {
        "measure-marker", "measure-paragraph"}


def test_import_export_edit_and_import_the_ledger(cli: Cli, tmp_path: Path) -> None:
    output = cli("import-plan", SEED).output.splitlines()
    assert output[-1] == SUMMARY
    assert "(25 lifecycles launched)" in output[-2]
    counts = cli.counts()
    assert (counts["Problem"], counts["Measure"], counts["ProcessInstance"]) == (25, 55, 25)

    assert "measure 1.1.1: deadline 2026-03-31" in cli("fill-in", "1.1.1", "--deadline", "2026-03-31").output
    assert "running lifecycle updated" in cli("fill-in", "1.1.2", "--deadline", "2026-04-30").output
    assert "unknown unit(s): 不存在的科" in cli("fill-in", "1.1.1", "--units", "不存在的科", ok=False).output

    ledger = tmp_path / "台账.xlsx"
    assert "1 round(s), 55 row(s)" in cli("export-ledger", "-o", ledger).output
    book = load_workbook(ledger)
    assert book.worksheets[0]["H3"].value.date().isoformat() == "2026-03-31"
    book.worksheets[0]["D4"] = "修改后的措施"
    book.save(ledger)

    result = cli("import-ledger", ledger)
    assert "updated round 1" in result.output and "measures changed: 1" in result.output
    with cli.session() as session:
        assert rounds(session)[0].parts[0].problems[0].measures[1].text == "修改后的措施"

    created = cli("import-ledger", ledger, "--as-new").output
    assert "created round 2" in created and "lifecycles launched: 25" in created


def test_an_invalid_ledger_lists_every_error_and_changes_nothing(cli: Cli, tmp_path: Path) -> None:
    cli("import-plan", SEED, "--no-launch")
    ledger = tmp_path / "ledger.xlsx"
    cli("export-ledger", "-o", ledger, "--round", "1")
    book = load_workbook(ledger)
    book.worksheets[0]["D3"] = "本应写入的修改"
    book.worksheets[0]["H4"] = "2023-13-45"
    book.worksheets[0]["F5"] = "不存在的科"
    book.save(ledger)
    before = cli.counts()

    result = cli("import-ledger", ledger, ok=False)

    assert result.stderr.splitlines()[:2] == ["第4行 整改时限: 无法识别的日期 \"2023-13-45\"",
                                              "第5行 牵头单位: 未知的单位 \"不存在的科\""]
    assert "2 error(s) in ledger.xlsx; nothing was imported" in result.output
    assert cli.counts() == before
    with cli.session() as session:
        assert "本应写入" not in rounds(session)[0].parts[0].problems[0].measures[0].text


@pytest.mark.parametrize("fmt", ["html", "md", "docx", "txt"])
def test_reports_are_written_in_every_format(cli: Cli, tmp_path: Path, fmt: str) -> None:
    cli("import-plan", SEED)
    path = tmp_path / f"report.{fmt}"
    output = cli("report", "--format", fmt, "-o", path, "--date", "2026-01-20").output
    assert "10 parts, 25 problems, 55 measures, 0 completed (0%)" in output
    if fmt == "docx":
        texts = [p.text for p in Document(str(path)).paragraphs]
        assert "第十部分 履行管党治党政治责任方面" in texts and texts[-1] == "2026年1月20日"
    elif fmt == "txt":
        assert parse_text(path.read_text(encoding="utf-8")).summary_line() == SUMMARY
    else:
        assert "第十部分 履行管党治党政治责任方面" in path.read_text(encoding="utf-8")


def test_report_needs_a_round_and_a_known_format(cli: Cli, tmp_path: Path) -> None:
    assert "no inspection round yet" in cli("report", "-o", tmp_path / "r.txt", ok=False).output
    assert "give --format" in cli("report", "-o", tmp_path / "r.pdf", ok=False).output
    result = cli("export-ledger", "-o", tmp_path / "l.xlsx", "--round", "7", ok=False)
    assert "inspection round 7 does not exist" in result.output


def _junk(tmp_path: Path, kind: str) -> Path:
    if kind == "empty":
        path = tmp_path / "empty.txt"
        path.write_bytes(b"")
    elif kind == "binary":
        path = tmp_path / "junk.txt"
        path.write_bytes(os.urandom(4096) + b"\x00")
    elif kind == "fake-docx":
        path = tmp_path / "plan.docx"
        path.write_text("第一部分 这不是一个 Word 文件", encoding="utf-8")
    else:
        path = tmp_path / "huge.txt"
        text = "第一部分 党的领导方面\n1.针对学习不深入问题。\n" + "加强学习。" * 350_000
        path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("kind, message", [
    ("empty", "is empty"),
    ("binary", "does not look like text"),
    ("fake-docx", "is not a valid .docx document"),
    ("huge", "is too large"),
])
def test_malformed_plans_fail_cleanly_and_change_nothing(
    cli: Cli, tmp_path: Path, kind: str, message: str
) -> None:
    path = _junk(tmp_path, kind)
    before = cli.counts()
    for extra in ((), ("--dry-run",)):
        result = cli("import-plan", path, *extra, ok=False)
        assert message in result.output and result.output.startswith("Error: ")
    assert cli.counts() == before


@pytest.mark.parametrize("kind", ["empty", "binary", "fake-docx"])
def test_malformed_ledgers_fail_cleanly_and_change_nothing(cli: Cli, tmp_path: Path, kind: str) -> None:
    source = _junk(tmp_path, kind)
    path = source.rename(source.with_suffix(".xlsx"))
    before = cli.counts()
    assert "is not an Excel workbook" in cli("import-ledger", path, ok=False).output
    assert cli.counts() == before


def test_a_missing_database_is_a_message_not_a_traceback(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    bare = Cli(f"sqlite:///{tmp_path / 'bare.db'}")
    assert "run 'rectiflow init-db' first?" in bare("import-plan", SEED, ok=False).output


def test_long_work_shows_progress(cli: Cli, tmp_path: Path) -> None:
    lines = ["第一部分 党的领导方面"]
    for n in range(1, 61):
        lines.append(f"{n}.针对第{n}项工作落实不到位问题。")
        lines.append("一是建立台账。二是定期调度。三是开展检查。四是通报结果。")
    plan = tmp_path / "big.txt"
    plan.write_text("\n".join(lines) + "\n", encoding="utf-8")

    imported = cli("import-plan", plan)
    assert "launching lifecycles" in imported.output
    assert imported.output.splitlines()[-1] == "parts: 1  problems: 60  measures: 240  unassigned: 0"
    exported = cli("export-ledger", "-o", tmp_path / "big.xlsx")
    assert "writing ledger rows" in exported.output and "240 row(s)" in exported.output
