"""Reading files: .txt encodings, .docx (paragraphs and tables) and every way a file can be refused."""

import os
import sys
import time
from datetime import date
from pathlib import Path

import pytest
from docx import Document

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import import PlanImportError, parse_file, parse_text  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "plans" / "seed_haizhu_progress_report.txt"


def test_utf8_with_bom_and_gb18030_give_the_same_tree(tmp_path):
    text = SEED.read_text(encoding="utf-8")
    bom = tmp_path / "bom.txt"
    bom.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(text.replace("\n", "\r\n").encode("gb18030"))
    for path in (bom, gbk):
        plan = parse_file(path)
        assert plan.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0"
        assert plan.meta.feedback_date == date(2020, 10, 21)
        assert plan.source_name == path.name


def test_suffix_is_case_insensitive(tmp_path):
    path = tmp_path / "PLAN.TXT"
    path.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    assert parse_file(str(path)).problem_count == 25


def _docx_plan(path: Path) -> None:
    doc = Document()
    doc.add_paragraph("中共某某区司法局党组关于巡察整改进展情况的通报")
    doc.add_paragraph(
        "根据区委统一部署，2023年4月3日至5月19日，区委第六巡察组对区司法局党组进行了巡察。"
        "2023年6月28日，区委第六巡察组向区司法局党组反馈了巡察意见。"
    )
    doc.add_paragraph("第一部分 党的建设方面")
    doc.add_paragraph("1.针对支部活动形式单一问题。")
    doc.add_paragraph("一是开展主题党日活动。二是与社区党组织结对共建。")
    doc.add_paragraph("第二部分 业务工作方面")
    table = doc.add_table(rows=4, cols=5)
    header = ["序号", "反馈问题", "整改措施", "责任单位", "整改时限"]
    rows = [
        ["1", "法律援助案件质量不高", "建立案件质量评估机制", "法律援助中心", "2023年12月底前"],
        ["1", "法律援助案件质量不高", "开展案卷集中评查", "法律援助中心、公共法律服务科", "2024年3月31日前"],
        ["2", "社区矫正对象监管存在漏洞", "一是完善电子定位监管；二是每月开展走访", "社区矫正科", "长期坚持"],
    ]
    for r, values in enumerate([header, *rows]):
        for c, value in enumerate(values):
            table.cell(r, c).text = value
    doc.add_paragraph("欢迎广大干部群众监督。联系电话：020-87654321。")
    doc.add_paragraph("中共某某区司法局党组")
    doc.add_paragraph("2023年10月9日")
    doc.save(str(path))


def test_docx_paragraphs_and_ledger_table_in_document_order(tmp_path):
    path = tmp_path / "plan.docx"
    _docx_plan(path)
    plan = parse_file(path)
    assert plan.summary_line() == "parts: 2  problems: 3  measures: 6  unassigned: 0"
    assert plan.meta.title == "中共某某区司法局党组关于巡察整改进展情况的通报"
    assert plan.meta.inspecting_group == "区委第六巡察组"
    assert plan.meta.report_date == date(2023, 10, 9)
    assert plan.meta.contacts == {"phone": "020-87654321"}
    part2 = plan.parts[1]
    assert part2.title == "业务工作方面"
    legal, community = part2.problems
    assert legal.title == "法律援助案件质量不高"
    assert [m.text.split("（")[0] for m in legal.measures] == ["建立案件质量评估机制", "开展案卷集中评查"]
    assert legal.measures[0].deadline == date(2023, 12, 31)
    assert legal.measures[1].deadline == date(2024, 3, 31)
    assert legal.measures[1].responsible_units == ["法律援助中心", "公共法律服务科"]
    assert community.title == "社区矫正对象监管存在漏洞"
    assert len(community.measures) == 2
    assert all(m.long_term and m.responsible_units == ["社区矫正科"] for m in community.measures)


def test_docx_plain_table_cells_are_read(tmp_path):
    doc = Document()
    doc.add_paragraph("一、组织建设方面")
    table = doc.add_table(rows=2, cols=1)
    table.cell(0, 0).text = "1.针对党员教育管理不严格问题。"
    table.cell(1, 0).text = "一是建立党员积分管理制度。二是开展党员轮训。"
    path = tmp_path / "cells.docx"
    doc.save(str(path))
    plan = parse_file(path)
    assert [p.title for p in plan.iter_problems()] == ["党员教育管理不严格"]
    assert plan.measure_count == 2


def test_corrupt_docx_is_refused(tmp_path):
    path = tmp_path / "broken.docx"
    path.write_bytes(os.urandom(4096))
    with pytest.raises(PlanImportError, match=r"'broken\.docx' is not a valid \.docx"):
        parse_file(path)


def test_zip_that_is_not_a_word_document_is_refused(tmp_path):
    import zipfile

    path = tmp_path / "archive.docx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("hello.txt", "not a document")
    with pytest.raises(PlanImportError, match="archive.docx"):
        parse_file(path)


@pytest.mark.parametrize("content", [b"", b"   \n\r\n\t  \n", "\u3000\n".encode()])
def test_empty_file_is_refused(tmp_path, content):
    path = tmp_path / "empty.txt"
    path.write_bytes(content)
    with pytest.raises(PlanImportError, match=r"'empty\.txt' is empty"):
        parse_file(path)


def test_empty_docx_is_refused(tmp_path):
    path = tmp_path / "blank.docx"
    Document().save(str(path))
    with pytest.raises(PlanImportError, match=r"'blank\.docx' is empty"):
        parse_file(path)


def test_binary_junk_is_refused(tmp_path):
    path = tmp_path / "junk.txt"
    path.write_bytes(os.urandom(8192))
    with pytest.raises(PlanImportError, match=r"'junk\.txt' does not look like text"):
        parse_file(path)


def test_control_characters_are_refused():
    junk = "".join(chr(c) for c in range(1, 32) if c not in (9, 10, 13)) * 50
    with pytest.raises(PlanImportError, match="does not look like text"):
        parse_text(junk, source_name="junk.txt")


def test_oversized_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_bytes("第一部分 党建方面\n1.针对问题问题。\n".encode() * (5 * 1024 * 1024 // 40))
    assert path.stat().st_size > 5 * 1000 * 1000
    started = time.process_time()  # CPU time: the suite runs two test processes on two cores
    with pytest.raises(PlanImportError, match=r"'huge\.txt' is too large \(\d+\.\d MB; the limit is 2 MB\)"):
        parse_file(path)
    assert time.process_time() - started < 0.5


def test_text_without_problems_gives_an_empty_tree(tmp_path):
    path = tmp_path / "notice.txt"
    path.write_text(
        "关于召开全体干部大会的通知\n各科室：定于下周一上午召开全体干部大会，请准时参加。\n", encoding="utf-8"
    )
    plan = parse_file(path)
    assert plan.summary_line() == "parts: 0  problems: 0  measures: 0  unassigned: 0"
    assert plan.empty_note() is not None and "ledger is empty" in plan.empty_note()
    assert plan.sections["preamble"][0] == "关于召开全体干部大会的通知"


def test_unknown_suffix_and_missing_file(tmp_path):
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(PlanImportError, match=r"'plan\.pdf' has an unsupported type '\.pdf'"):
        parse_file(pdf)
    with pytest.raises(PlanImportError, match=r"'missing\.txt' cannot be read"):
        parse_file(tmp_path / "missing.txt")


def test_error_is_a_value_error_with_one_sentence():
    with pytest.raises(ValueError) as info:
        parse_text("", source_name="x.txt")
    message = str(info.value)
    assert message == "The file 'x.txt' is empty."
    assert "\n" not in message


def test_docx_ledger_cells_numbering_several_measures_share_the_rows_fields(tmp_path):
    doc = Document()
    doc.add_paragraph("某局党组巡察反馈意见整改任务清单")
    table = doc.add_table(rows=1, cols=6)
    for cell, text in zip(table.rows[0].cells, ["序号", "反馈问题", "整改措施", "责任领导", "责任单位", "完成时限"],
                          strict=True):
        cell.text = text
    for row in (("1", "理论学习不深入", "1.制定学习计划；2.开展专题研讨", "张三", "办公室", "2024年6月底前"),
                ("2", "财务管理不规范", "1、修订财务制度；2、开展专项检查", "李四", "财务科", "长期坚持")):
        for cell, text in zip(table.add_row().cells, row, strict=True):
            cell.text = text
    path = tmp_path / "清单.docx"
    doc.save(str(path))
    plan = parse_file(path)
    assert plan.summary_line() == "parts: 1  problems: 2  measures: 4  unassigned: 0"
    assert [(m.text, m.deadline_text, m.responsible_leader, m.responsible_units) for m in plan.iter_measures()] == [
        ("制定学习计划", "2024年6月底前", "张三", ["办公室"]), ("开展专题研讨", "2024年6月底前", "张三", ["办公室"]),
        ("修订财务制度", "长期坚持", "李四", ["财务科"]), ("开展专项检查", "长期坚持", "李四", ["财务科"])]


def office_ledger(path: Path) -> Path:
    """An office's own Excel ledger: a title row, a header, one row per measure, merged-looking repeats."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["某局巡察反馈问题整改台账"])
    sheet.append(["序号", "问题类别", "反馈问题", "整改措施", "责任领导", "责任单位", "完成时限", "整改进展"])
    sheet.append([1, "党的建设方面", "理论学习不深入", "1.制定学习计划；2.开展专题研讨", "张三", "办公室",
                  date(2024, 6, 30), "已完成"])
    sheet.append([2, "党的建设方面", "财务管理不规范", "修订财务制度", "李四", "财务科", "长期坚持", "持续推进"])
    sheet.append([3, "作风建设方面", "公车管理不规范", "建立派车台账", "王五", "办公室", "2024年3月底前", "已完成"])
    book.save(path)
    return path


def test_an_offices_own_excel_ledger_imports_as_a_plan(tmp_path):
    plan = parse_file(office_ledger(tmp_path / "台账.xlsx"))
    assert plan.summary_line() == "parts: 2  problems: 3  measures: 4  unassigned: 0"
    assert plan.meta.title == "某局巡察反馈问题整改台账"
    assert [p.title for p in plan.parts] == ["党的建设方面", "作风建设方面"]
    measures = plan.iter_measures()
    assert [(m.deadline, m.responsible_leader, m.responsible_units, m.status_text) for m in measures] == [
        (date(2024, 6, 30), "张三", ["办公室"], "已完成"), (date(2024, 6, 30), "张三", ["办公室"], "已完成"),
        (None, "李四", ["财务科"], "持续推进"), (date(2024, 3, 31), "王五", ["办公室"], "已完成")]
    assert measures[2].long_term


def test_a_damaged_workbook_is_refused_in_one_sentence(tmp_path):
    path = tmp_path / "坏.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a workbook")
    with pytest.raises(PlanImportError, match=r"^The file '坏.xlsx' .*(damaged|Excel)"):
        parse_file(path)


def test_rectiflows_own_workbook_stays_a_ledger_and_an_offices_becomes_a_plan(tmp_path):
    from openpyxl import Workbook

    from workflows.import_drafts import upload_kind
    from workflows.models import DraftKind

    own = Workbook()
    own.create_sheet("_meta")
    own.save(tmp_path / "own.xlsx")
    assert upload_kind("own.xlsx", (tmp_path / "own.xlsx").read_bytes()) == DraftKind.LEDGER
    office = office_ledger(tmp_path / "office.xlsx").read_bytes()
    assert upload_kind("office.xlsx", office) == DraftKind.PLAN


def test_a_workbook_claiming_the_whole_sheet_is_read_only_as_far_as_it_has_cells(tmp_path):
    import re
    import zipfile

    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["序号", "反馈问题", "整改措施"])
    book.active.append([1, "会议记录不完整", "建立审核制度"])
    book.save(tmp_path / "plain.xlsx")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(tmp_path / "plain.xlsx") as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename.startswith("xl/worksheets/"):
                data = re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data)
            out.writestr(item, data)
    started = time.monotonic()
    assert parse_file(bomb).summary_line() == "parts: 1  problems: 1  measures: 1  unassigned: 0"
    assert time.monotonic() - started < 2


def test_the_ledger_check_reads_only_the_workbooks_sheet_list(tmp_path):
    import zipfile

    from workflows.plan_import import has_sheet

    assert not has_sheet(b"not a zip", "_meta")
    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(bare, "w") as package:
        package.writestr("xl/sharedStrings.xml", "<sst/>")  # no workbook.xml: not ours, nothing else read
    assert not has_sheet(bare.read_bytes(), "_meta")
    office = office_ledger(tmp_path / "office.xlsx").read_bytes()
    assert has_sheet(office, "Sheet") and not has_sheet(office, "_meta")
