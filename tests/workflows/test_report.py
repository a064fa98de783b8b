"""The published progress report: statistics, what is withheld, escaping, Word, and the seed round trip."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from docx import Document
from docx.oxml.ns import qn
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.plan_import import import_plan, parse_file, parse_text
from workflows.plan_import.dates import cn_to_int
from workflows.report import (
    ReportMeasure,
    build_report,
    chinese_number,
    measures_paragraph,
    render_html,
    render_markdown,
    render_text,
    write_docx,
)

from ..conftest import SEED
from ..lifecycle_helpers import deploy_lifecycle, finish_measures
from .plan_fixtures import ADMIN, FIXTURES, import_seed, small_plan


def test_statistics_come_from_the_ledger_and_withheld_problems_are_counted_apart(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    assert plan.studying.instance_id is not None
    finish_measures(session, wf_engine, plan.studying.instance_id)  # both measures 已完成

    report = build_report(session, plan.round, on=date(2026, 2, 1))
    stats = report.stats
    assert (stats.parts, stats.problems, stats.measures) == (2, 3, 4)
    assert (stats.completed, stats.in_progress, stats.long_term, stats.withheld) == (1, 1, 1, 1)
    assert stats.rate == 33
    assert report.stats_sentence == (
        "巡察反馈意见共2个方面3个具体问题，制定4项整改措施。截至目前，已完成整改1个，正在推进1个，"
        "长期坚持1个，整改完成率33%。另有1个问题按规定不予公开。"
    )
    text = render_text(report)
    assert "涉及在办案件" not in text and "按规定办理" not in text
    assert "对需要长期坚持整改的“意识形态责任制虚化”等1个问题" in text


def test_the_skeleton_follows_the_published_reports(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    plan.studying.measures[0].progress = "已召开3次中心组集中学习"
    lines = render_text(build_report(session, plan.round, on=date(2026, 2, 1))).splitlines()

    assert lines[0] == "中共某区委政法委员会关于巡察整改进展情况的通报"
    assert lines[1] == (
        "根据上级党委统一部署，2025年3月3日至4月30日，区委第二巡察组对区委政法委进行了巡察。"
        "2025年6月10日，区委第二巡察组向区委政法委反馈了巡察意见。根据《中国共产党巡视工作条例》和"
        "《中国共产党党内监督条例》有关规定，现将巡察整改进展情况予以公布。"
    )
    assert lines[2] == "一、提高政治站位，强化组织领导，压实巡察整改主体责任"
    assert lines[4] == "二、聚焦巡察反馈问题，逐条逐项落实巡察整改措施"
    assert lines[6:10] == [
        "第一部分 党的领导方面",
        "1.针对理论学习不够深入问题。",
        "一是每两个月组织一次中心组集中学习（整改进展：已召开3次中心组集中学习）；二是建立学习台账，逐次登记。",
        "2.针对意识形态责任制虚化问题。",
    ]
    assert lines[10] == "落实“第一议题”制度。"  # one measure: no 一是
    assert lines[-3] == (
        "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。联系方式：电话020-12345678；"
        "邮政信箱：某区某路1号，邮政编码：510000；电子邮箱：a@b.cn。"
    )
    assert lines[-2:] == ["中共某区委政法委员会", "2026年2月1日"]


@pytest.mark.parametrize("n, text", [(1, "一"), (10, "十"), (11, "十一"), (20, "二十"), (21, "二十一"),
                                     (99, "九十九"), (100, "一百"), (105, "一百零五"), (110, "一百一十")])
def test_chinese_numbers(n: int, text: str) -> None:
    assert chinese_number(n) == text


def test_chinese_numbers_read_back_up_to_ninety_nine() -> None:
    assert all(cn_to_int(chinese_number(n)) == n for n in range(1, 100))
    paragraph = measures_paragraph([ReportMeasure(f"措施{n}") for n in range(1, 13)])
    assert paragraph.startswith("一是措施1；二是措施2；")
    assert paragraph.endswith("十一是措施11；十二是措施12。")


def test_markdown_and_html_escape_what_users_typed(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    plan.finance.title = "<script>alert('x')</script>财务管理不规范"
    report = build_report(session, plan.round, on=date(2026, 2, 1))

    html = render_html(report)
    assert html.startswith("<!DOCTYPE html>") and '<html lang="zh-CN">' in html
    assert html.rstrip().endswith("</html>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;财务管理不规范" in html
    assert "<h3>第二部分 全面从严治党方面</h3>" in html

    markdown = render_markdown(report)
    assert "<script>" not in markdown and "&lt;script&gt;" in markdown
    assert "#### 1\\.针对&lt;script&gt;alert('x')&lt;/script&gt;财务管理不规范问题。" in markdown
    assert markdown.startswith("# 中共某区委政法委员会关于巡察整改进展情况的通报\n\n")


def test_word_document_has_headings_and_chinese_fonts(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    stream = io.BytesIO()
    write_docx(build_report(session, plan.round, on=date(2026, 2, 1)), stream)
    document = Document(io.BytesIO(stream.getvalue()))

    styled = [(p.style.name if p.style else "", p.text) for p in document.paragraphs]
    headings = [(style, text) for style, text in styled if style.startswith(("Heading", "Title"))]
    assert headings[0] == ("Title", "中共某区委政法委员会关于巡察整改进展情况的通报")
    assert ("Heading 1", "二、聚焦巡察反馈问题，逐条逐项落实巡察整改措施") in headings
    assert ("Heading 2", "第一部分 党的领导方面") in headings
    assert ("Heading 3", "1.针对理论学习不够深入问题。") in headings
    normal = document.styles["Normal"].element.rPr.rFonts
    assert normal.get(qn("w:eastAsia")) == "仿宋_GB2312"
    heading = document.styles["Heading 1"].element.rPr.rFonts
    assert heading.get(qn("w:eastAsia")) == "黑体" and heading.get(qn("w:asciiTheme")) is None
    assert document.styles["Normal"].font.size.pt == 16
    assert document.paragraphs[-1].text == "2026年2月1日"


def test_the_seed_survives_import_report_and_parse(session: Session, wf_engine: WorkflowEngine) -> None:
    original = parse_file(SEED)
    round_ = import_seed(session, wf_engine).round

    again = parse_text(render_text(build_report(session, round_)), source_name="report.txt")

    assert again.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0"
    assert [p.title for p in again.parts] == [p.title for p in original.parts]
    assert [p.title for p in again.iter_problems()] == [p.title for p in original.iter_problems()]
    assert [m.text for m in again.iter_measures()] == [m.text for m in original.iter_measures()]
    assert again.stats_mismatches() == []
    stated = again.stated
    assert (stated.parts, stated.problems, stated.measures, stated.completed, stated.in_progress) == (
        10, 25, 55, 0, 25)
    meta = again.meta
    assert (meta.inspecting_group, meta.inspected_unit, meta.feedback_date) == (
        "广州市区委巡察第8组", "海珠区委政法委", date(2020, 10, 21))
    assert meta.contacts == original.meta.contacts and meta.signatory == original.meta.signatory
    assert again.sections["organisation"] == original.sections["organisation"]
    assert again.sections["mechanism"] == original.sections["mechanism"]


def test_the_word_report_imports_back_to_the_same_tree(
    session: Session, wf_engine: WorkflowEngine, tmp_path: Path
) -> None:
    original = parse_file(SEED)
    round_ = import_seed(session, wf_engine).round
    path = tmp_path / "整改进展情况.docx"
    write_docx(build_report(session, round_), path)

    again = parse_file(path)

    assert again.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0"
    assert [p.title for p in again.iter_problems()] == [p.title for p in original.iter_problems()]
    assert [m.text for m in again.iter_measures()] == [m.text for m in original.iter_measures()]


@pytest.mark.parametrize("name", [
    "v1_parts_guanyu_paragraph_measures.txt", "v2_labelled_fields.txt", "v3_inline_semicolons_halfwidth.txt",
    "v4_bare_statements_long_term.txt", "v5_portal_furniture_stats_match.txt", "v6_stats_mismatch.txt",
    "v7_text_before_markers.txt",
])
def test_other_plan_shapes_survive_import_report_and_parse(
    session: Session, wf_engine: WorkflowEngine, name: str
) -> None:
    original = parse_file(FIXTURES / name)
    deploy_lifecycle(session, wf_engine)
    round_ = import_plan(session, wf_engine, original, actor=ADMIN, at=wf_engine.clock()).round

    text = render_text(build_report(session, round_, on=date(2026, 2, 1)))
    again = parse_text(text)

    assert [p.title for p in again.parts] == [p.title for p in original.parts]
    assert [p.title for p in again.iter_problems()] == [p.title for p in original.iter_problems()]
    # a measure that ends without a full stop gets one (v4: "…同考核。（长期坚持）" -> "…（长期坚持）。")
    assert [m.text.rstrip("。") for m in again.iter_measures()] == [
        m.text.rstrip("。") for m in original.iter_measures()]
    headings = [line for line in text.splitlines() if line[:2] in ("一、", "二、", "三、")]
    assert [h[:2] for h in headings] == ["一、", "二、", "三、"]  # the document's own numbering is redone
