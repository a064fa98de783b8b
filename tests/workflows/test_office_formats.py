"""Office files as officials expect them: the Word report set by GB/T 9704-2012, the Excel ledger
fit for screen and paper, and the ledger columns that tell the deadline history."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from datetime import UTC, date, datetime

import pytest
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph
from lxml import etree
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.deadline_changes import record_change
from workflows.evidence import store_uploads
from workflows.evidence_store import DEFAULT_EXTENSIONS, EvidenceStore, Upload
from workflows.ledger import (
    DeadlineStep,
    Reopening,
    deadline_history_text,
    export_ledger,
    import_ledger,
    ledger_rows,
    reopen_text,
)
from workflows.ledger.export import write_round_sheet
from workflows.ledger.layout import HISTORY_HEADER, SHEET_HEADER
from workflows.models import DeadlineSource
from workflows.plans import add_measure
from workflows.report import build_report, write_docx

from ..lifecycle_helpers import OFFICER, open_tasks
from .evidence_samples import SAMPLES
from .plan_fixtures import ADMIN, SmallPlan, plan_counts, small_plan

CHINESE_FONTS = {"宋体", "黑体", "方正小标宋简体"}
LONG_MEASURE = ("建立健全理论学习中心组学习制度，制定年度学习计划，明确学习主题、学习方式和学习要求，"
                "每季度至少组织一次专题研讨，并将学习情况纳入领导班子年度考核。")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


# -- the Word report ------------------------------------------------------------------------------


def word_report(session: Session, plan: SmallPlan, **changes: object) -> Document:
    report = dataclasses.replace(build_report(session, plan.round, on=date(2026, 2, 1)), **changes)
    stream = io.BytesIO()
    write_docx(report, stream)
    return Document(io.BytesIO(stream.getvalue()))


def east_asia(paragraph: Paragraph) -> str | None:
    """The East-Asian font a paragraph's text is set in: its run's, else its style's."""
    for rpr in (paragraph.runs[0]._r.rPr, paragraph.style.element.rPr):
        fonts = rpr.rFonts if rpr is not None else None
        if fonts is not None and fonts.get(qn("w:eastAsia")):
            return fonts.get(qn("w:eastAsia"))
    return None


def indent_chars(paragraph: Paragraph, side: str) -> float:
    ind = paragraph._p.pPr.ind
    return int(ind.get(qn(f"w:{side}Chars"))) / 100


def test_the_word_report_has_the_page_of_an_official_document(session: Session, wf_engine: WorkflowEngine) -> None:
    document = word_report(session, small_plan(session, wf_engine))
    section = document.sections[0]

    measured = [section.page_width.mm, section.page_height.mm, section.top_margin.mm, section.bottom_margin.mm,
                section.left_margin.mm, section.right_margin.mm]
    assert measured == pytest.approx([210, 297, 37, 35, 28, 26], abs=0.5)
    type_area = (section.page_width.mm - section.left_margin.mm - section.right_margin.mm,
                 section.page_height.mm - section.top_margin.mm - section.bottom_margin.mm)
    assert type_area == pytest.approx((156, 225), abs=0.5)
    grid = section._sectPr.find(qn("w:docGrid"))
    assert grid.get(qn("w:type")) == "linesAndChars"
    assert 22 * int(grid.get(qn("w:linePitch"))) / 20 <= 225 / 25.4 * 72 < 23 * int(grid.get(qn("w:linePitch"))) / 20
    pitch = 16 + int(grid.get(qn("w:charSpace"))) / 4096  # points per character
    assert 28 * pitch <= 156 / 25.4 * 72 < 29 * pitch


def test_the_word_report_sets_title_body_and_headings_in_the_standard_typefaces(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    document = word_report(session, small_plan(session, wf_engine))
    by_text = {p.text: p for p in document.paragraphs}

    title = document.paragraphs[0]
    assert (title.text, east_asia(title)) == ("中共某区委政法委员会关于巡察整改进展情况的通报", "方正小标宋简体")
    assert title.style.font.size.pt == 22 and title.style.paragraph_format.alignment == WD_ALIGN_PARAGRAPH.CENTER
    assert title.style.element.pPr.find(qn("w:pBdr")) is None  # no rule under the title
    h1 = by_text["二、聚焦巡察反馈问题，逐条逐项落实巡察整改措施"]
    h2 = by_text["第一部分 党的领导方面"]
    h3 = by_text["1.针对理论学习不够深入问题。"]
    assert [(east_asia(p), p.style.font.size.pt, bool(p.style.font.bold)) for p in (h1, h2, h3)] == [
        ("黑体", 16, False), ("楷体_GB2312", 16, False), ("仿宋_GB2312", 16, True)]
    assert all(p.style.element.rPr.rFonts.get(qn("w:asciiTheme")) is None for p in (title, h1, h2, h3))
    body = next(p for p in document.paragraphs if p.text.startswith("巡察反馈意见共"))
    assert (east_asia(body), body.style.font.size.pt) == ("仿宋_GB2312", 16)
    fmt = body.style.paragraph_format
    assert fmt.line_spacing_rule == WD_LINE_SPACING.EXACTLY and 28 <= fmt.line_spacing.pt <= 29
    assert fmt.first_line_indent.pt == 32  # two 16 pt characters
    assert body.style.element.pPr.ind.get(qn("w:firstLineChars")) == "200"


def test_the_word_report_signs_and_dates_on_the_right_as_the_standard_places_them(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)

    for signatory in ("中共某区委政法委员会", "某局"):
        *_, sign, day = word_report(session, plan, signatory=signatory).paragraphs
        assert (sign.text, day.text) == (signatory, "2026年2月1日")
        assert sign.alignment == day.alignment == WD_ALIGN_PARAGRAPH.RIGHT
        # in characters from the left of a 28-character line: the date starts two right of the name
        widths = {signatory: len(signatory), "2026年2月1日": 6}
        starts = [28 - indent_chars(p, "right") - widths[p.text] for p in (sign, day)]
        assert starts[1] - starts[0] == 2
        assert min(indent_chars(sign, "right"), indent_chars(day, "right")) == 2


def test_the_word_report_numbers_its_pages_outside_with_dashes(session: Session, wf_engine: WorkflowEngine) -> None:
    document = word_report(session, small_plan(session, wf_engine))
    section = document.sections[0]

    assert document.settings.odd_and_even_pages_header_footer
    sides = ((section.footer, WD_ALIGN_PARAGRAPH.RIGHT), (section.even_page_footer, WD_ALIGN_PARAGRAPH.LEFT))
    for footer, side in sides:
        paragraph = footer.paragraphs[0]
        assert paragraph.text == "— 1 —" and paragraph.alignment == side
        assert [e.text for e in paragraph._p.iter(qn("w:instrText"))] == [" PAGE "]
        assert [e.get(qn("w:fldCharType")) for e in paragraph._p.iter(qn("w:fldChar"))] == ["begin", "separate",
                                                                                          "end"]
        assert {(r.font.size.pt, r._r.rPr.rFonts.get(qn("w:eastAsia"))) for r in paragraph.runs} == {(14, "宋体")}


def test_the_word_report_names_black_as_the_alternate_of_the_title_font(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    stream = io.BytesIO()
    write_docx(build_report(session, plan.round), stream)

    table = etree.fromstring(zipfile.ZipFile(stream).read("word/fontTable.xml"))
    alternates = {f.get(f"{W}name"): f.find(f"{W}altName").get(f"{W}val")
                  for f in table.iter(f"{W}font") if f.find(f"{W}altName") is not None}
    assert alternates["方正小标宋简体"].split(",")[0] == "黑体"
    assert alternates["仿宋_GB2312"].split(",")[0] == "仿宋"
    assert alternates["楷体_GB2312"].split(",")[0] == "楷体"


# -- the Excel ledger -----------------------------------------------------------------------------


def exported_book(session: Session, plan: SmallPlan) -> Workbook:
    stream = io.BytesIO()
    export_ledger(session, [plan.round], stream)
    return load_workbook(io.BytesIO(stream.getvalue()))


def column_of(sheet: Worksheet, name: str) -> str:
    return next(c.column_letter for c in sheet[2] if c.value == name)


def test_every_written_cell_of_the_ledger_names_a_chinese_font(session: Session, wf_engine: WorkflowEngine) -> None:
    book = exported_book(session, small_plan(session, wf_engine))
    sheet = book.worksheets[0]

    fonts = {(ws.title, c.coordinate): c.font.name for ws in book.worksheets for row in ws.iter_rows()
             for c in row if c.value is not None}
    assert len(fonts) > 60 and {k: v for k, v in fonts.items() if v not in CHINESE_FONTS} == {}
    assert (sheet["A1"].font.name, sheet["A1"].font.sz) == ("黑体", 16)
    assert {c.font.name for c in sheet[2]} == {"黑体"} and sheet["D3"].font.name == "宋体"
    assert sheet["D3"].font.scheme is None  # a theme font would show instead of the name


def test_the_ledger_fits_chinese_text_and_prints_on_a4_landscape(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    add_measure(session, plan.studying, LONG_MEASURE, deadline=date(2026, 9, 30), units=[plan.security])
    sheet = exported_book(session, plan).worksheets[0]
    width = {name: sheet.column_dimensions[column_of(sheet, name)].width for name in SHEET_HEADER}

    # 整改措施: far wider than its character count, as Chinese characters are two units wide, capped, wrapping
    assert 2 * len("每两个月组织一次中心组集中学习") <= width["整改措施"] <= 50 < 2 * len(LONG_MEASURE)
    assert width["方面"] >= 2 * len("全面从严治党方面") and width["序号"] < width["整改措施"]
    assert width["时限调整记录"] >= 2 * len("时限调整记录")  # its header fits, even with no history yet
    assert all(c.alignment.wrap_text and c.alignment.vertical == "top" for c in sheet["D"][2:])
    assert sheet["D3"].border.left.style == "thin" and sheet["O3"].border.bottom.style == "thin"
    setup = sheet.page_setup
    assert (setup.orientation, int(setup.paperSize), int(setup.fitToWidth), int(setup.fitToHeight)) == (
        "landscape", 9, 1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == "$1:$2"
    assert sheet.freeze_panes == "A3" and sheet.auto_filter.ref == "A2:O8"
    assert sheet.page_margins.left <= 0.3 and sheet.print_options.horizontalCentered
    assert sheet.oddFooter.center.text == "第 &P 页 共 &N 页"


def test_the_ledger_tells_the_deadline_history_and_the_reopening(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    at = datetime(2026, 4, 2, 2, 0, tzinfo=UTC)
    rows = ledger_rows(session, plan.round)
    step = DeadlineStep(date(2026, 3, 31), date(2026, 5, 31), DeadlineSource.VERIFICATION_FAILED, "整改不到位",
                        "督查 张三", at)
    reopened = Reopening(rebound=True, reason="学习流于形式", by="督查 张三", at=at, times=2)
    rows[0] = dataclasses.replace(rows[0], original_deadline=date(2026, 3, 31), deadline=date(2026, 5, 31),
                                  deadline_history=(step,), reopen=reopened)
    rows[1] = dataclasses.replace(rows[1], original_deadline=rows[1].deadline)  # never moved
    book = Workbook()
    write_round_sheet(book.active, plan.round, rows)
    stream = io.BytesIO()
    book.save(stream)
    sheet = load_workbook(stream).active

    assert [c.value for c in sheet[2]][12:15] == HISTORY_HEADER
    history = [c.value for c in sheet[3]][12:15]
    assert history == [datetime(2026, 3, 31), deadline_history_text(rows[0]), reopen_text(reopened)]
    assert "2026-03-31" in history[1] and "整改不到位" in history[1] and "学习流于形式" in history[2]
    assert sheet["H3"].value == datetime(2026, 5, 31) and sheet["M3"].number_format == "yyyy-mm-dd"
    assert [c.value for c in sheet[4]][12:15] == [None, None, None]
    assert {sheet[f"{col}3"].font.name for col in "MNO"} == {"宋体"}
    assert sheet.column_dimensions["N"].width == 40  # the history is long: the column's widest, wrapping


def test_a_recorded_deadline_change_shows_in_the_exported_ledger_and_imports_back_unchanged(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    first = plan.studying.measures[0]
    record_change(session, first, date(2026, 5, 31), source=DeadlineSource.EXTENSION, actor="leader1",
                  at=wf_engine.clock(), reason="需协调学习场地")

    book = exported_book(session, plan)
    sheet = book.worksheets[0]
    row = ledger_rows(session, plan.round)[0]
    assert (sheet["A3"].value, sheet["H3"].value, sheet["M3"].value) == (
        "1.1.1", datetime(2026, 5, 31), datetime(2026, 3, 31))
    assert sheet["N3"].value == deadline_history_text(row) and "需协调学习场地" in sheet["N3"].value
    assert [sheet[f"{col}4"].value for col in "MNO"] == [None, None, None]  # 1.1.2 never moved
    assert reimport(session, wf_engine, book) == 0
    assert first.deadline == date(2026, 5, 31)


def test_the_evidence_column_counts_the_files_kept(
    session: Session, wf_engine: WorkflowEngine, tmp_path
) -> None:
    plan = small_plan(session, wf_engine)
    measure = plan.studying.measures[0]
    task = next(t for t in open_tasks(session, plan.studying.instance_id, "Task_submit_progress")
                if t.item_key == measure.item_key)
    wf_engine.claim(session, task.id, OFFICER)
    store = EvidenceStore(tmp_path / "evidence", max_bytes=64 * 1024, allowed=frozenset(DEFAULT_EXTENSIONS),
                          max_files=5)
    files = [Upload(f"佐证{i}.{ext}", io.BytesIO(SAMPLES[ext][0]), None) for i, ext in enumerate(["pdf", "png"])]
    store_uploads(session, files, task=task, measure_id=None, actor=OFFICER, store=store, now=wf_engine.clock())

    sheet = exported_book(session, plan).worksheets[0]
    evidence = column_of(sheet, "佐证材料")
    assert [sheet[f"{evidence}{r}"].value for r in range(3, 8)] == [2, 0, 0, 0, 0]


# -- the importer reads the new layout and the old one ---------------------------------------------


def reimport(session: Session, wf_engine: WorkflowEngine, book: Workbook) -> int:
    stream = io.BytesIO()
    book.save(stream)
    stream.seek(0)
    return import_ledger(session, wf_engine, stream, actor=ADMIN, at=wf_engine.clock()).changed_measures


def test_the_history_columns_are_output_only_and_older_workbooks_still_import(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    before = plan_counts(session)

    book = exported_book(session, plan)
    for col in "MNO":  # typed over by someone: an import ignores what it does not read
        book.worksheets[0][f"{col}3"] = "2020-01-01 随手改的"
    assert reimport(session, wf_engine, book) == 0

    old = exported_book(session, plan)  # as exported before the history columns existed
    old.worksheets[0].delete_cols(13, len(HISTORY_HEADER))
    assert [c.value for c in old.worksheets[0][2]][12] == "round_id"
    assert reimport(session, wf_engine, old) == 0
    assert plan_counts(session) == before
    assert plan.studying.measures[0].deadline == date(2026, 3, 31)
