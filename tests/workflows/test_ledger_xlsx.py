"""The ledger workbook: what the export looks like, and reading an edited workbook back."""

from __future__ import annotations

import io
from datetime import date, datetime
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.errors import ValidationError
from workflows.ledger import HEADER, KEY_HEADER, LedgerValidationError, export_ledger, import_ledger
from workflows.ledger.layout import SHEET_HEADER
from workflows.models import RoundKind
from workflows.plans import round_problems

from .plan_fixtures import ADMIN, SmallPlan, import_seed, plan_counts, small_plan

PLAN_COLUMNS = slice(0, 8)  # 序号 … 整改时限: what an import reads


def exported(session: Session, rounds: list[Any]) -> io.BytesIO:
    stream = io.BytesIO()
    export_ledger(session, rounds, stream)
    stream.seek(0)
    return stream


def plan_cells(stream: io.BytesIO) -> list[list[list[Any]]]:
    """Per sheet, the plan columns and the problem flags of every data row."""
    book = load_workbook(io.BytesIO(stream.getvalue()))
    sheets = [ws for ws in book.worksheets if ws.title != "_meta"]
    return [[[*row[PLAN_COLUMNS], row[-2], row[-1]] for row in ws.iter_rows(min_row=3, values_only=True)]
            for ws in sheets]


def edited(stream: io.BytesIO, edit) -> io.BytesIO:  # type: ignore[no-untyped-def]
    book = load_workbook(io.BytesIO(stream.getvalue()))
    edit(book.worksheets[0])
    out = io.BytesIO()
    book.save(out)
    out.seek(0)
    return out


def test_export_has_title_header_frozen_panes_colours_dates_and_hidden_keys(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    book = load_workbook(exported(session, [plan.round]))
    sheet = book.worksheets[0]

    assert sheet.title == plan.round.title[:31]
    assert sheet["A1"].value == plan.round.title
    assert [c.value for c in sheet[2]] == SHEET_HEADER + KEY_HEADER
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["D"].width >= 32 and sheet["D3"].alignment.wrap_text
    assert all(sheet.column_dimensions[col].hidden for col in "PQRST")
    first = [c.value for c in sheet[3]]
    assert first[:8] == ["1.1.1", "党的领导方面", "理论学习不够深入", "每两个月组织一次中心组集中学习",
                         "李书记", "综治科", "综治科", datetime(2026, 3, 31)]
    assert sheet["H3"].number_format == "yyyy-mm-dd"
    assert sheet["H5"].value == "长期坚持"
    assert sheet["G6"].value == "办公室、综治科"
    assert sheet["I3"].value == "待整改" and sheet["I3"].fill.fgColor.rgb == "00E7E6E6"  # grey
    assert first[15:18] == [plan.round.id, plan.studying.id, plan.studying.measures[0].id]
    assert book["_meta"].sheet_state == "hidden"


def test_problem_phases_colour_the_row_and_sheet_titles_stay_unique(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    from ..lifecycle_helpers import finish_measures

    title = "区委第二巡察组对区委政法委机关及所属单位巡察反馈意见整改工作台账"
    plan = small_plan(session, wf_engine, title=title)
    assert plan.studying.instance_id is not None
    finish_measures(session, wf_engine, plan.studying.instance_id)
    twin = import_seed(session, wf_engine, launch_it=False).round
    twin.title = title
    book = load_workbook(exported(session, [plan.round, twin]))

    assert book.sheetnames == [title[:31], title[:28] + "(2)", "_meta"]
    sheet = book.worksheets[0]
    # every measure done: the whole problem awaits verification, in yellow
    assert sheet["I3"].value == "待核实" and sheet["I3"].fill.fgColor.rgb == "00FFEB9C"
    assert book.worksheets[1]["I3"].value == "未启动"


def test_export_then_import_updates_nothing_when_nothing_was_edited(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    first = exported(session, [plan.round])
    before = plan_counts(session)

    result = import_ledger(session, wf_engine, first, actor=ADMIN, at=wf_engine.clock())

    assert result.updated == [plan.round] and result.created == [] and result.changed_measures == 0
    assert plan_counts(session) == before
    assert plan_cells(exported(session, [plan.round])) == plan_cells(first)


def test_an_edited_workbook_updates_the_plan_by_key(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)

    def edit(sheet) -> None:  # type: ignore[no-untyped-def]
        sheet["C3"] = sheet["C4"] = "理论学习不够深入、不够系统"
        sheet["D3"] = "每月组织一次中心组集中学习"
        sheet["H4"] = "2026年9月底前"
        sheet["E4"] = "leader2"
        sheet["G5"] = "办公室、综治科"
        sheet["H6"] = datetime(2026, 5, 31)
        sheet.move_range("A3:T3", rows=10)  # the order of rows does not matter: keys do

    result = import_ledger(session, wf_engine, edited(exported(session, [plan.round]), edit), actor=ADMIN,
                           at=wf_engine.clock())

    studying, ideology, finance = plan.studying, plan.ideology, plan.finance
    assert result.changed_measures == 4 and result.created == []
    assert studying.title == "理论学习不够深入、不够系统"
    assert studying.measures[0].text == "每月组织一次中心组集中学习"
    second = studying.measures[1]
    assert (second.deadline, second.deadline_text) == (date(2026, 9, 30), "2026年9月底前")
    assert studying.measures[1].responsible_leader is plan.other_leader
    assert [u.name for u in ideology.measures[0].responsible_units] == ["办公室", "综治科"]
    assert (finance.measures[0].deadline, finance.measures[0].deadline_text) == (date(2026, 5, 31), None)
    assert result.warnings and "problem(s) 1.1, 1.2, 2.1 already run" in result.warnings[0]


def test_an_exported_workbook_becomes_an_identical_new_round(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    plan.round.kind = RoundKind.HIGHER_INSPECTION
    first = exported(session, [plan.round])

    result = import_ledger(session, wf_engine, first, actor=ADMIN, at=wf_engine.clock(), as_new=True)

    (copy,) = result.created
    assert copy.id != plan.round.id and result.launched == 4 and copy.kind is RoundKind.HIGHER_INSPECTION
    assert (copy.title, copy.inspecting_group, copy.inspected_unit, copy.feedback_date, copy.contacts) == (
        plan.round.title, "区委第二巡察组", plan.round.inspected_unit, date(2025, 6, 10), plan.round.contacts)
    problems = round_problems(copy)
    assert [(p.long_term, p.publishable, p.responsible_leader, p.lead_unit) for p in problems] == [
        (p.long_term, p.publishable, p.responsible_leader, p.lead_unit) for p in round_problems(plan.round)]
    again = plan_cells(exported(session, [copy]))
    assert [[row[:8] + row[9:] for row in sheet] for sheet in again] == [
        [row[:8] + row[9:] for row in sheet] for sheet in plan_cells(first)]


def test_a_workbook_without_keys_creates_and_launches_a_round(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)

    def strip_keys(sheet) -> None:  # type: ignore[no-untyped-def]
        sheet.delete_cols(13, 5)
        sheet["A1"] = "自建台账"

    stream = edited(exported(session, [plan.round]), strip_keys)
    book = load_workbook(io.BytesIO(stream.getvalue()))
    del book["_meta"]
    stream = io.BytesIO()
    book.save(stream)
    result = import_ledger(session, wf_engine, io.BytesIO(stream.getvalue()), actor=ADMIN,
                           at=wf_engine.clock())

    (new,) = result.created
    assert new.title == "自建台账" and [p.title for p in new.parts] == ["党的领导方面", "全面从严治党方面"]
    assert [len(p.measures) for p in round_problems(new)] == [2, 1, 1, 1]
    assert all(p.instance_id is not None for p in round_problems(new))
    assert round_problems(new)[0].responsible_leader is plan.leader


def test_every_error_is_reported_at_once_and_nothing_is_written(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)

    def spoil(sheet) -> None:  # type: ignore[no-untyped-def]
        sheet["D3"] = "这一行本身是对的，但不得写入"
        sheet["G4"] = "综治科、不存在的科"
        sheet["C5"] = None
        sheet["H5"] = "2023-13-45"
        sheet["E6"] = "无名氏"

    before = plan_counts(session)
    with pytest.raises(LedgerValidationError) as caught:
        import_ledger(session, wf_engine, edited(exported(session, [plan.round]), spoil), actor=ADMIN,
                      at=wf_engine.clock())

    assert caught.value.errors == [
        "第4行 责任单位: 未知的单位 \"不存在的科\"",
        "第5行 问题: 不能为空",
        "第5行 整改时限: 无法识别的日期 \"2023-13-45\"",
        "第6行 责任领导: 未知的责任领导 \"无名氏\"（请填姓名或登录名，重名时填登录名）",
    ]
    assert str(caught.value).startswith("台账有 ")
    assert isinstance(caught.value, ValidationError)
    assert plan_counts(session) == before
    assert plan.studying.measures[0].text == "每两个月组织一次中心组集中学习"


def test_a_new_workbook_with_errors_creates_nothing(session: Session, wf_engine: WorkflowEngine) -> None:
    small_plan(session, wf_engine)
    book = Workbook()
    sheet = book.active
    sheet.append(["新台账"])
    sheet.append(HEADER)
    sheet.append(["", "党的领导方面", "学习不深入", "加强学习", "", "综治科", "", "2026-06-30"])
    sheet.append(["", "党的领导方面", "学习不深入", "", "", "", "", "尽快"])
    stream = io.BytesIO()
    book.save(stream)
    before = plan_counts(session)

    with pytest.raises(LedgerValidationError) as caught:
        import_ledger(session, wf_engine, io.BytesIO(stream.getvalue()), actor=ADMIN, at=wf_engine.clock())

    assert caught.value.errors == ["第4行 整改措施: 不能为空", "第4行 整改时限: 无法识别的日期 \"尽快\""]
    assert plan_counts(session) == before


@pytest.mark.parametrize("content", [b"", b"not a workbook at all", b"PK\x03\x04 broken zip"])
def test_a_file_that_is_not_a_workbook_is_refused(session: Session, wf_engine: WorkflowEngine,
                                                 content: bytes) -> None:
    with pytest.raises(ValidationError, match="is not an Excel workbook"):
        import_ledger(session, wf_engine, io.BytesIO(content), actor=ADMIN, at=wf_engine.clock())


def test_a_workbook_with_another_header_is_refused(session: Session, wf_engine: WorkflowEngine) -> None:
    book = Workbook()
    book.active.append(["姓名", "电话"])
    book.active.append(["张三", "123"])
    stream = io.BytesIO()
    book.save(stream)
    with pytest.raises(LedgerValidationError, match="不是台账格式：找不到表头"):
        import_ledger(session, wf_engine, io.BytesIO(stream.getvalue()), actor=ADMIN, at=wf_engine.clock())


def test_nothing_to_export_is_an_error(session: Session) -> None:
    with pytest.raises(ValidationError, match="no inspection round"):
        export_ledger(session, [], io.BytesIO())


def test_the_seed_exports_and_updates_losslessly(session: Session, wf_engine: WorkflowEngine) -> None:
    seed: SmallPlan | Any = import_seed(session, wf_engine).round
    first = exported(session, [seed])
    assert len(plan_cells(first)[0]) == 55
    result = import_ledger(session, wf_engine, first, actor=ADMIN, at=wf_engine.clock())
    assert result.changed_measures == 0
    assert plan_cells(exported(session, [seed])) == plan_cells(first)


def test_keys_and_titles_that_disagree_are_errors(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)

    def spoil(sheet) -> None:  # type: ignore[no-untyped-def]
        sheet["C4"] = "另一个标题"
        sheet["R5"] = 99999999
        sheet["R6"] = "abc"

    with pytest.raises(LedgerValidationError) as caught:
        import_ledger(session, wf_engine, edited(exported(session, [plan.round]), spoil), actor=ADMIN,
                      at=wf_engine.clock())

    assert caught.value.errors == [
        "第6行 measure_id: 不是有效的编号 \"abc\"",
        "第4行 问题: 与第3行（同一问题）不一致",
        f"第5行 measure_id: 不是轮次 {plan.round.id} 的措施（新增措施请在系统中添加）",
        f"第6行 measure_id: 不是轮次 {plan.round.id} 的措施（新增措施请在系统中添加）",
    ]
