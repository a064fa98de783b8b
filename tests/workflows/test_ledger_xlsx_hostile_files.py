"""Hostile ledger files: bombs, files built to expand in memory, files that are not ledgers.

Each is refused before openpyxl builds anything large, with a clean error, and the command
line prints that error rather than a traceback; the database is unchanged.
"""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.errors import ValidationError
from workflows.ledger import WorkbookLimits

from ..conftest import SEED
from .plan_fixtures import small_plan
from .test_cli_plans import Cli, add_admin
from .xlsx_helpers import SHEET, edit, export, load, lying_size, patch, refused, with_part

# -- import: files that are not ledgers, too big, or built to expand --------------------------------


def test_a_decompression_bomb_is_refused_from_the_zip_directory(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    data = export(session, small_plan(session, wf_engine, launch_it=False))
    bomb = with_part(data, "xl/media/image1.png", bytes(50 * 1024 * 1024 + 1))
    assert len(bomb) < 100_000
    started = time.monotonic()
    with pytest.raises(ValidationError, match="too big to import: its contents are larger than 52,428,800 bytes"):
        load(session, wf_engine, bomb)
    assert time.monotonic() - started < 2

    with pytest.raises(ValidationError, match="too big to import: the file is larger than 1,000 bytes"):
        load(session, wf_engine, data, limits=WorkbookLimits(max_bytes=1000))
    with pytest.raises(ValidationError, match="its contents are larger than"):
        load(session, wf_engine, data, limits=WorkbookLimits(max_bytes=len(data) + 100))
    with pytest.raises(ValidationError, match="is not an Excel workbook"):  # inflating past the size declared
        load(session, wf_engine, lying_size(data, SHEET, 100))


EXPANDING = {
    "merged range": '<mergeCells count="1"><mergeCell ref="A1:XFD1048576"/></mergeCells>',
    "hyperlink": '<hyperlinks><hyperlink ref="A1:XFD1048576" location="A1" display="x"/></hyperlinks>',
    "many cells": '<row r="99">' + "<c/>" * 500_001 + "</row>",
}


@pytest.mark.parametrize("xml", EXPANDING.values(), ids=EXPANDING.keys())
def test_a_small_file_that_would_expand_in_memory_is_refused_before_loading(
    session: Session, wf_engine: WorkflowEngine, xml: str
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    if xml.startswith("<row"):
        data = patch(export(session, plan), SHEET, lambda sheet: sheet.replace("</sheetData>", xml + "</sheetData>"))
    else:
        data = patch(export(session, plan), SHEET, lambda sheet: sheet.replace("</sheetData>", "</sheetData>" + xml))
    started = time.monotonic()
    with pytest.raises(ValidationError, match="too big to import"):
        load(session, wf_engine, data, as_new=True)
    assert time.monotonic() - started < 2


def test_a_cell_far_below_the_data_is_refused_before_reading_the_rows(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    data = edit(export(session, plan), lambda book: book.worksheets[0].__setitem__("A1048576", "x"))
    started = time.monotonic()
    assert refused(session, wf_engine, data) == ["行数过多（整个工作簿最多读取 20,000 行）"]
    assert time.monotonic() - started < 2


def test_files_that_are_not_ledgers_are_refused(session: Session, wf_engine: WorkflowEngine, tmp_path: Path) -> None:
    from docx import Document

    plan = small_plan(session, wf_engine, launch_it=False)
    data = export(session, plan)
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as archive:
        archive.writestr("readme.txt", "not a workbook")
    Document().save(tmp_path / "plan.docx")
    for content in (zipped.getvalue(), (tmp_path / "plan.docx").read_bytes()):
        with pytest.raises(ValidationError, match="is not an Excel workbook"):
            load(session, wf_engine, content)

    def only_meta(book: Workbook) -> None:
        del book[book.sheetnames[0]]
        book["_meta"].sheet_state = "visible"

    assert refused(session, wf_engine, edit(data, only_meta)) == ["工作簿中没有台账工作表"]

    def with_notes(book: Workbook) -> None:
        book.create_sheet("说明").append(["本表由办公室填写"])

    assert refused(session, wf_engine, edit(data, with_notes), as_new=True) == [
        "工作表“说明” 不是台账格式：找不到表头（序号、方面、问题、整改措施、责任领导、牵头单位、责任单位、整改时限、"
        "整改状态、完成情况、佐证材料、最近更新）"]


# -- the command line -----------------------------------------------------------------------------


@pytest.fixture
def ledger_cli(empty_database: Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """The ``rectiflow`` command line on a fresh database with the lifecycle deployed and the seed imported."""
    monkeypatch.delenv("RECTIFLOW_DATABASE_URL", raising=False)
    runner = Cli(empty_database.url.render_as_string(hide_password=False))
    runner("init-db")
    runner("deploy")
    add_admin(runner)
    runner("import-plan", SEED, "--no-launch")
    yield runner
    if runner._engine is not None:
        runner._engine.dispose()


def test_import_ledger_as_new_on_hostile_workbooks_prints_errors_not_tracebacks(
    ledger_cli: Cli, tmp_path: Path
) -> None:
    ledger = tmp_path / "ledger.xlsx"
    ledger_cli("export-ledger", "-o", ledger)
    data = ledger.read_bytes()

    def spoil(book: Workbook) -> None:
        book.worksheets[0]["V3"], book.worksheets[0]["S4"] = 5, datetime(2026, 1, 1)
        book.worksheets[0]["H5"] = "=DATE(2026,6,30)"
        book["_meta"]["C2"] = '{"title": 5, "feedback_date": "soon"}'

    before = ledger_cli.counts()
    ledger.write_bytes(edit(data, spoil))
    result = ledger_cli("import-ledger", ledger, "--as-new", ok=False)
    assert result.stderr.splitlines()[:3] == [
        "第3行 problem_flags: 应为 JSON 对象", '第4行 problem_id: 不是有效的编号 "2026-01-01T00:00:00"',
        f"工作表“{load_workbook(ledger).sheetnames[0]}” H5（整改时限）: 是公式 =DATE(2026,6,30)，"
        "请复制后“选择性粘贴 → 数值”再导入"]
    assert "5 error(s) in ledger.xlsx; nothing was imported" in result.output

    ledger.write_bytes(with_part(data, "xl/media/image1.png", bytes(50 * 1024 * 1024 + 1)))
    assert "too big to import" in ledger_cli("import-ledger", ledger, "--as-new", ok=False).output
    ledger.write_bytes(data[: len(data) // 2])
    assert "is not an Excel workbook" in ledger_cli("import-ledger", ledger, "--as-new", ok=False).output
    assert ledger_cli.counts() == before
