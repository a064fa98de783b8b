"""One small document per layout the importer meets in published progress reports (issue 13).

Each snippet is written for the test; each test asserts what a reader of the ledger would see:
the parts, the problems with their findings, and the measures with their status.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.models import InspectionRound, RoundKind
from workflows.plan_import import import_plan, parse_text
from workflows.plan_import.tree import EMPTY_TREE_NOTE, ParsedPlan
from workflows.plans import round_problems

from ..lifecycle_helpers import deploy_lifecycle
from .plan_fixtures import ADMIN

TITLE = "某某局党组关于巡察整改进展情况的通报\n"


def tree(plan: ParsedPlan) -> list[tuple[str, list[tuple[str, str | None, list[str]]]]]:
    return [(part.title, [(p.title, p.finding, [m.text for m in p.measures]) for p in part.problems])
            for part in plan.parts]


def test_a_document_without_problems_is_read_with_an_empty_ledger() -> None:
    plan = parse_text(TITLE + "本次巡察共反馈问题12个，已完成整改10个。\n一、下一步工作\n持续巩固整改成果。\n")
    assert (len(plan.parts), plan.problem_count, plan.measure_count) == (0, 0, 0)
    assert plan.empty_note() == EMPTY_TREE_NOTE
    assert (plan.stated.problems, plan.stated.completed) == (12, 10)
    assert [u.text for u in plan.unassigned] == ["一、下一步工作", "持续巩固整改成果。"]


def test_an_empty_ledger_still_makes_a_round(session: Session, wf_engine: WorkflowEngine) -> None:
    deploy_lifecycle(session, wf_engine)
    plan = parse_text(TITLE + "本次巡察共反馈问题12个，已完成整改10个。\n")
    result = import_plan(session, wf_engine, plan, actor=ADMIN, at=wf_engine.clock())
    assert round_problems(result.round) == [] and result.launched == 0
    assert result.round.kind is RoundKind.LOCAL_INSPECTION


def test_an_audit_report_makes_an_audit_round(session: Session, wf_engine: WorkflowEngine) -> None:
    deploy_lifecycle(session, wf_engine)
    plan = parse_text("2023年3月1日至5月31日，区审计局派出审计组对区财政局预算执行情况进行了审计。\n"
                      "（一）针对预算编制不细化的问题\n一是细化预算编制；二是加强执行监控。\n")
    result = import_plan(session, wf_engine, plan, actor=ADMIN, at=wf_engine.clock())
    session.flush()
    assert result.round.kind is RoundKind.AUDIT and result.round.title == "区审计局对区财政局审计发现问题整改"
    session.expire(result.round)
    assert session.get(InspectionRound, result.round.id).kind is RoundKind.AUDIT  # type: ignore[union-attr]


def test_a_finding_line_stays_apart_from_the_measures_under_a_progress_label() -> None:
    plan = parse_text(TITLE + "（一）理论学习不够深入\n党组中心组学习流于形式。\n"
                      "整改情况：一是制定年度学习计划；二是开展专题研讨。\n")
    assert tree(plan) == [("", [("理论学习不够深入", "理论学习不够深入\n党组中心组学习流于形式。",
                                 ["制定年度学习计划", "开展专题研讨。"])])]
    assert plan.iter_problems()[0].progress_text is None


def test_measures_after_a_label_with_numbered_lines() -> None:
    plan = parse_text(TITLE + "问题1：会议记录不完整。\n整改落实情况：\n"
                      "1.建立会议记录审核制度。\n2.补齐2023年度会议记录。\n")
    assert tree(plan) == [("", [("会议记录不完整", "会议记录不完整",
                                 ["建立会议记录审核制度。", "补齐2023年度会议记录。"])])]


def test_measures_after_a_label_with_bracketed_numbers() -> None:
    plan = parse_text(TITLE + "问题一：采购程序不规范。\n整改措施：（1）修订采购管理办法；（2）开展采购合同清理。\n")
    assert tree(plan) == [("", [("采购程序不规范", "采购程序不规范", ["修订采购管理办法", "开展采购合同清理。"])])]


def test_measures_marked_first_second() -> None:
    plan = parse_text(TITLE + "问题（一）：公务用车管理松散。\n"
                      "具体措施：第一，建立派车登记台账；第二，每月公示用车情况。\n")
    assert tree(plan) == [("", [("公务用车管理松散", "公务用车管理松散",
                                 ["建立派车登记台账", "每月公示用车情况。"])])]


def test_measures_marked_first_then_finally() -> None:
    plan = parse_text(TITLE + "问题二：档案管理混乱。\n"
                      "整改情况：首先，清点现有档案；其次，配备专职档案员；最后，完成电子化归档。\n")
    assert tree(plan) == [("", [("档案管理混乱", "档案管理混乱",
                                 ["清点现有档案", "配备专职档案员", "完成电子化归档。"])])]


def test_a_short_progress_label_is_still_a_status() -> None:
    plan = parse_text(TITLE + "一、党建工作方面\n1.关于“支部活动不经常”的问题\n"
                      "整改措施：每月开展一次主题党日。\n整改情况：已完成\n")
    [problem] = plan.iter_problems()
    assert tree(plan) == [("党建工作方面", [("支部活动不经常", None, ["每月开展一次主题党日。"])])]
    assert (problem.status_text, problem.measures[0].status_text) == ("已完成", "已完成")


def test_numbered_problem_labels_under_a_part() -> None:
    plan = parse_text(TITLE + "一、党的建设方面\n1.问题一：组织生活不严肃。\n"
                      "整改情况：一是规范民主评议；二是开展谈心谈话。\n"
                      "2.问题二：发展党员程序不规范。\n整改情况：一是复查发展档案；二是开展业务培训。\n")
    assert tree(plan) == [("党的建设方面", [
        ("组织生活不严肃", "组织生活不严肃", ["规范民主评议", "开展谈心谈话。"]),
        ("发展党员程序不规范", "发展党员程序不规范", ["复查发展档案", "开展业务培训。"]),
    ])]


def test_two_markers_on_one_line() -> None:
    plan = parse_text(TITLE + "一、作风建设方面\n1.（1）文风会风不实。\n整改情况：一是精简会议；二是压减发文。\n"
                      "（2）督查检查过多。\n整改情况：一是统筹督查计划；二是合并同类检查。\n")
    assert tree(plan) == [("作风建设方面", [
        ("文风会风不实", "文风会风不实", ["精简会议", "压减发文。"]),
        ("督查检查过多", "督查检查过多", ["统筹督查计划", "合并同类检查。"]),
    ])]


def test_measure_status_and_progress_fields() -> None:
    plan = parse_text(TITLE + "一、财务管理方面\n（一）针对票据管理不严的问题\n"
                      "1.建立票据领用登记制度。完成情况：已完成\n"
                      "2.开展票据专项检查。\n整改进展：已检查3个科室，其余科室年底前完成。\n3.追回违规报销款项。\n"
                      "整改状态：阶段性完成\n")
    [problem] = plan.iter_problems()
    assert [m.text for m in problem.measures] == ["建立票据领用登记制度。", "开展票据专项检查。", "追回违规报销款项。"]
    # a status after the last measure is the problem's, which measures without their own inherit
    assert [m.status_text for m in problem.measures] == ["已完成", "阶段性完成", "阶段性完成"]
    assert problem.measures[1].progress_text == "已检查3个科室，其余科室年底前完成。"
    assert problem.status_text == "阶段性完成"


def test_portal_furniture_is_ignored() -> None:
    plan = parse_text("首页 > 信息公开 > 巡察整改\n来源：区纪委监委 发布时间：2024-05-06 浏览次数：128\n"
                      "字号：大 中 小\n"
                      "分享到：\n" + TITLE + "（一）针对合同管理不规范的问题\n"
                      "一是清理合同；二是修订合同范本。\n阅读原文\n")
    assert tree(plan) == [("", [("合同管理不规范", None, ["清理合同", "修订合同范本。"])])]
    assert [f.text for f in plan.furniture][-1] == "阅读原文" and len(plan.furniture) == 5
    assert plan.unassigned == []


def test_an_organisation_section_is_not_taken_for_problems() -> None:
    plan = parse_text(TITLE + "一、加强组织领导，压实整改责任\n（一）成立整改工作领导小组，党组书记任组长。\n"
                      "（二）明确责任分工。责任单位：各科室，整改时限：2024年底前。\n二、反馈问题整改落实情况\n"
                      "（一）值班制度执行不严。\n整改情况：一是修订值班制度；二是开展随机抽查。\n"
                      "（二）安全隐患排查不彻底。\n整改情况：一是全面排查隐患；二是建立整改台账。\n")
    assert tree(plan) == [("", [
        ("值班制度执行不严", "值班制度执行不严", ["修订值班制度", "开展随机抽查。"]),
        ("安全隐患排查不彻底", "安全隐患排查不彻底", ["全面排查隐患", "建立整改台账。"]),
    ])]
    assert plan.sections["organisation"][0] == "一、加强组织领导，压实整改责任"
    assert len(plan.sections["organisation"]) == 3


def test_problems_found_only_by_the_list_heading_are_doubtful() -> None:
    plan = parse_text(TITLE + "一、巡察反馈问题整改情况\n（一）会议记录不完整。\n已建立会议记录审核制度。\n"
                      "（二）公车使用登记不全。\n已完善派车单。\n")
    assert tree(plan) == [("", [("会议记录不完整", None, ["已建立会议记录审核制度。"]),
                                ("公车使用登记不全", None, ["已完善派车单。"])])]
    assert [(d.lineno, d.text) for d in plan.doubtful] == [
        (3, "（一）会议记录不完整。"), (5, "（二）公车使用登记不全。")]
    assert plan.unassigned == []
