"""Bounded input in the domain: task forms, plan text and .docx packages refused cleanly, nothing written."""

from __future__ import annotations

import struct
import time
import tracemalloc
import zipfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from docx import Document
from sqlalchemy import func, select
from sqlalchemy.orm import Session

import web.cli
from engine import HumanTask, TaskStatus, WorkflowEngine
from workflows import forms
from workflows import tasks as task_service
from workflows.errors import ValidationError
from workflows.models import InspectionRound, Unit
from workflows.plan_import import PlanImportError, fill_in, find_or_create_unit, import_plan, parse_file, parse_text
from workflows.plans import add_measure, add_part, add_problem, create_round

from ..lifecycle_helpers import OFFICER, deploy_lifecycle, open_tasks, start
from .plan_fixtures import ADMIN, FIXTURES

PLAN_TEXT = (FIXTURES / "v2_labelled_fields.txt").read_text(encoding="utf-8")
PARAGRAPH = "<w:p><w:r><w:t>整改措施一是加强学习二是建立台账</w:t></w:r></w:p>"


def rounds(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(InspectionRound)) or 0


# -- task forms ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("form", "data", "message"),
    [
        ("measure_progress", {"progress": "ok", "evidence": [1] * 51},
         "at most 50 evidence items per report, got 51 (evidence)"),
        ("measure_progress", {"progress": "ok", "evidence": [1, "x" * 301]},
         "evidence in --data must be ids of stored files (evidence[1])"),
        ("measure_progress", {"progress": "ok", "evidence": [" "]}, "must be ids of stored files (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": [True]}, "a list of ids of stored files (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": [{"id": 1}]}, "list of ids of stored files (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": [1.5]}, "a list of ids of stored files (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": [0]}, "evidence id out of range (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": [2**31]}, "evidence id out of range (evidence[0])"),
        ("measure_progress", {"progress": "ok", "evidence": ["a\x00.pdf"]}, "ids of stored files (evidence[0])"),
        ("measure_progress", {"progress": "已落实\x00"}, "progress contains a NUL character, which cannot be stored"),
        ("measure_progress", {"progress": "x" * 5001}, "longer than 5000 characters (progress)"),
        ("measure_review", {"review_decision": "return", "reason": "缺\udfff"},
         "reason contains a lone surrogate (U+DFFF), which cannot be stored (reason)"),
        ("verification", {"verify_decision": "fail", "reason": "r", "new_deadline": 20260630},
         "new deadline must be a date such as 2026-06-30 (new_deadline)"),
        ("verification", {"verify_decision": "fail", "reason": "r", "new_deadline": "2026-06-30" * 5},
         "new deadline must be a date"),
        ("lookback", {"lookback_decision": "rebound", "reason": "r", "new_deadline": "2026-06-30\x00"},
         "new deadline contains a NUL character"),
    ],
)
def test_forms_refuse_oversized_and_unstorable_values_naming_the_field(form, data, message):
    with pytest.raises(ValidationError) as refused:
        forms.validate(form, data)
    assert message in str(refused.value) and "\n" not in str(refused.value)


def test_forms_accept_values_at_their_limits():
    cleaned = forms.validate("measure_progress", {"progress": "x" * 5000, "evidence": [1, forms.MAX_EVIDENCE_ID] * 25})
    assert len(cleaned["evidence"]) == 50
    assert forms.validate("verification", {"verify_decision": "fail", "reason": "r", "new_deadline": "2026-06-30"})[
        "new_deadline"].startswith("2026-06-30")


def test_a_refused_form_leaves_the_task_open(session: Session, wf_engine: WorkflowEngine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [task] = open_tasks(session, instance.id)
    task_service.claim(session, wf_engine, task.id, OFFICER)
    with pytest.raises(ValidationError, match="at most 50 evidence items"):
        task_service.complete(session, wf_engine, task.id, OFFICER, {"progress": "ok", "evidence": list(range(1, 52))})
    session.refresh(task)
    assert task.status == TaskStatus.OPEN and task.assignee == OFFICER.key
    done = task_service.complete(session, wf_engine, task.id, OFFICER, {"progress": "ok", "evidence": [1, 2]})
    assert session.get(HumanTask, done.id).status == TaskStatus.COMPLETED


# -- plan text -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("每季度召开党组会", "每季度召开\x00党组会", "measure 1.1.1's text contains a NUL character"),
        ("党组议事规则执行不严格", "党组议事规则\ud83d执行不严格",
         "problem 1.2's title contains a lone surrogate (U+D83D)"),
        ("法规审理科", "法规\x00审理科", "contains a NUL character"),
        ("区审计局党组", "区审计局\udc9f党组", "contains a lone surrogate (U+DC9F)"),
    ],
)
def test_a_plan_with_unstorable_text_is_refused_before_anything_is_written(
    session: Session, wf_engine: WorkflowEngine, old: str, new: str, message: str
):
    deploy_lifecycle(session, wf_engine)
    assert old in PLAN_TEXT
    parsed = parse_text(PLAN_TEXT.replace(old, new), source_name="plan.txt")  # a dry run still shows the tree
    assert parsed.problem_count == 3
    with pytest.raises(ValidationError) as refused:
        import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock())
    assert message in str(refused.value) and str(refused.value).startswith("plan.txt: ")
    assert rounds(session) == 0


def test_text_longer_than_its_column_is_refused_on_every_database(session: Session, wf_engine: WorkflowEngine):
    at = wf_engine.clock()
    with pytest.raises(ValidationError, match="the round title is longer than 300 characters"):
        create_round(session, title="巡" * 301, at=at)
    with pytest.raises(ValidationError, match="the inspecting group is longer than 200 characters"):
        create_round(session, title="t", inspecting_group="组" * 201, at=at)
    with pytest.raises(ValidationError, match="a section of the round contains a NUL character"):
        create_round(session, title="t", sections={"preamble": ["a", "b\x00"]}, at=at)
    with pytest.raises(ValidationError, match=r"the unit name '单{30}…' is longer than 200 characters"):
        find_or_create_unit(session, "单" * 201)
    round_ = create_round(session, title="t", at=at)
    problem = add_problem(session, add_part(session, round_, "p"), "q")
    with pytest.raises(ValidationError, match=r"measure 1\.1\.1's deadline text is longer than 100 characters"):
        add_measure(session, problem, "m", deadline_text="年" * 101)
    add_measure(session, problem, "m", deadline_text="年" * 100)
    session.flush()  # on PostgreSQL too: what was let through fits its column
    assert rounds(session) == 1 and session.scalar(select(func.count()).select_from(Unit)) == 0


def test_fill_in_refuses_unstorable_names_before_looking_them_up(session: Session, wf_engine: WorkflowEngine):
    deploy_lifecycle(session, wf_engine)
    parsed = parse_text(PLAN_TEXT, source_name="plan.txt")
    round_ = import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock(), launch_it=False).round
    for change in ({"lead_unit": "办公室\x00"}, {"units": ["办公室", "\udc80"]}, {"leader_login": "\x00"}):
        with pytest.raises(ValidationError, match="a name to fill in contains a"):
            fill_in(session, round_, "1.1.1", **change)
    session.flush()  # the session is still usable on PostgreSQL: no failed statement


# -- .docx packages ------------------------------------------------------------------------

def plan_docx(path: Path, *, padding_bytes: int = 0) -> Path:
    """A real plan as .docx; ``padding_bytes`` of extra (highly compressible) paragraphs."""
    doc = Document()
    for line in PLAN_TEXT.splitlines():
        doc.add_paragraph(line)
    doc.save(str(path))
    if not padding_bytes:
        return path
    with zipfile.ZipFile(path) as source:
        parts = {info.filename: source.read(info) for info in source.infolist()}
    head, tail = parts["word/document.xml"].split(b"<w:body>", 1)
    chunk = PARAGRAPH.encode() * 1000
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as bomb:
        for name, data in parts.items():
            if name != "word/document.xml":
                bomb.writestr(name, data)
        with bomb.open("word/document.xml", "w") as stream:
            stream.write(head + b"<w:body>")
            for _ in range(padding_bytes // len(chunk) + 1):
                stream.write(chunk)
            stream.write(tail)
    return path


def lie_about_sizes(path: Path, member: str, size: int) -> None:
    """Rewrite the zip's local and central headers so ``member`` claims ``size`` bytes unpacked."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        while at >= 0:
            name_at = at + (30 if signature == b"PK\x03\x04" else 46)
            if data[name_at:name_at + len(name)] == name:
                struct.pack_into("<I", data, at + offset, size)
            at = data.find(signature, at + 4)
    path.write_bytes(bytes(data))


def test_a_docx_bomb_is_refused_from_its_zip_directory_quickly_and_in_little_memory(tmp_path: Path):
    bomb = plan_docx(tmp_path / "bomb.docx", padding_bytes=30 * 1024 * 1024)
    assert bomb.stat().st_size < 2 * 1024 * 1024  # small enough to pass the file-size check
    tracemalloc.start()
    began = time.monotonic()
    try:
        with pytest.raises(PlanImportError) as refused:
            parse_file(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert str(refused.value).startswith("The file 'bomb.docx' unpacks to 30.")
    assert "the limit is 20.0 MB" in str(refused.value)
    assert time.monotonic() - began < 1 and peak < 2 * 1024 * 1024


def test_the_docx_limit_is_a_parameter(tmp_path: Path):
    path = plan_docx(tmp_path / "plan.docx")  # python-docx's template alone unpacks to 0.8 MB
    assert parse_file(path).problem_count == 3
    with pytest.raises(PlanImportError, match=r"'plan\.docx' unpacks to 0\.8 MB .*; the limit is 0\.5 MB\."):
        parse_file(path, docx_max_xml_bytes=500_000)


def test_a_docx_whose_zip_directory_lies_about_sizes_is_refused_without_unpacking_more(tmp_path: Path):
    path = plan_docx(tmp_path / "liar.docx", padding_bytes=5 * 1024 * 1024)
    lie_about_sizes(path, "word/document.xml", 10_000)
    with zipfile.ZipFile(path) as package:  # the directory now says the package is small
        assert sum(info.file_size for info in package.infolist()) < 1024 * 1024
    began = time.monotonic()
    with pytest.raises(PlanImportError, match=r"'liar\.docx' is a damaged \.docx document"):
        parse_file(path)
    assert time.monotonic() - began < 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "is not a valid .docx document"),
        ("truncated", "is a damaged .docx document"),
        ("stored-garbage", "is a damaged .docx document"),
    ],
)
def test_a_corrupt_docx_is_refused_with_one_line(tmp_path: Path, content: Any, message: str):
    path = plan_docx(tmp_path / "bad.docx")
    if content == "truncated":
        data = path.read_bytes()
        directory = data.find(b"PK\x01\x02")
        # the zip directory stays readable; the parts it points to are gone
        path.write_bytes(data[:100] + bytes(directory - 100) + data[directory:])
    elif content == "stored-garbage":
        with zipfile.ZipFile(path, "a") as package:
            package.writestr("word/garbage.xml", b"x" * 1000)
        data = bytearray(path.read_bytes())
        at = data.rfind(b"x" * 1000)
        data[at:at + 10] = b"yyyyyyyyyy"  # the CRC no longer matches
        path.write_bytes(bytes(data))
    else:
        path.write_bytes(content)
    with pytest.raises(PlanImportError) as refused:
        parse_file(path)
    assert message in str(refused.value) and "\n" not in str(refused.value)


# -- the command line ----------------------------------------------------------------------

def run(*args: str, env: dict[str, str] | None = None) -> Result:
    """A ``rectiflow`` command expected to fail with one line and no traceback; returns the result."""
    result = CliRunner().invoke(web.cli.main, list(args), env=env)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    return result


@pytest.fixture
def demo_cli(empty_database, monkeypatch: pytest.MonkeyPatch):
    """The demo loaded on a fresh database (SQLite and PostgreSQL); returns a runner for ok commands."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", empty_database.url.render_as_string(hide_password=False))

    def ok(*args: str) -> str:
        result = CliRunner().invoke(web.cli.main, list(args), catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    ok("demo")
    return ok


def test_complete_refuses_out_of_bound_data_with_one_line_and_changes_nothing(demo_cli):
    ok = demo_cli
    ok("claim", "1", "--user", "dzz")
    before = ok("ledger")
    refusals = {
        '{"progress": ' + "[" * 50_000 + "]" * 50_000 + "}": "Error: --data is nested more than 20 levels deep",
        '{"progress": "ok", "n": ' + "9" * 5000 + "}": "Error: data.n is a whole number of 5000 digits",
        '{"progress": "ok", "n": 1e400}': "Error: data.n is not a finite number",
        '{"progress": NaN}': "Error: data.progress is NaN",
        '{"progress": "ok\\u0000"}': "Error: data.progress contains a NUL character, which cannot be stored",
        '{"progress": "\udc80"}': "Error: data.progress contains a lone surrogate (U+DC80)",
        '{"progress": "ok", "evidence": [' + ", ".join(["1"] * 51) + "]}": "Error: at most 50 evidence items",
        '{"progress": "ok", "evidence": ["report.pdf"]}': "Error: attach files with --file; evidence in --data",
        '{"progress": "ok", "bad key": 1}': 'Error: invalid field name "bad key"',
        '{"progress": "ok"': "Error: --data is not valid JSON",
    }
    for data, message in refusals.items():
        assert run("complete", "1", "--user", "dzz", "--data", data).output.startswith(message)
    assert ok("ledger") == before
    mine = ok("tasks", "--user", "dzz", "--mine").splitlines()[1:]
    assert [line.split()[0] for line in mine] == ["1"]  # still open, still claimed by dzz
    assert "completed" in ok("complete", "1", "--user", "dzz", "--data", '{"progress": "已落实"}')


def test_import_plan_refuses_a_docx_bomb_and_reads_the_limit_from_the_settings(tmp_path: Path):
    bomb = plan_docx(tmp_path / "bomb.docx", padding_bytes=25 * 1024 * 1024)
    assert run("import-plan", str(bomb), "--dry-run").output.startswith(
        "Error: The file 'bomb.docx' unpacks to 25.")
    plan = plan_docx(tmp_path / "plan.docx")
    limited = run("import-plan", str(plan), "--dry-run", env={"RECTIFLOW_DOCX_MAX_XML_BYTES": "500000"})
    assert "the limit is 0.5 MB" in limited.output
    wrong = run("import-plan", str(plan), "--dry-run", env={"RECTIFLOW_DOCX_MAX_XML_BYTES": "lots"})
    assert "RECTIFLOW_DOCX_MAX_XML_BYTES must be a whole number" in wrong.output
    result = CliRunner().invoke(web.cli.main, ["import-plan", str(plan), "--dry-run"])
    assert result.exit_code == 0 and "problems: 3" in result.output
