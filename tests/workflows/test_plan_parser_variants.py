"""Structural variants of plans and progress reports, one fixture file each."""

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import import (  # noqa: E402
    ParsedPlan,  # noqa: E402
    parse_file,
    parse_text,
)

PLANS = ROOT / "tests" / "fixtures" / "plans"


def _parse(name: str) -> ParsedPlan:
    return parse_file(PLANS / name)


def _assert_all_lines_placed(plan: ParsedPlan, name: str) -> None:
    lines = (PLANS / name).read_text(encoding="utf-8").splitlines()
    assert set(plan.line_roles) == {no for no, text in enumerate(lines, start=1) if text.strip()}


def test_v1_fangmian_parts_guanyu_problems_paragraph_measures():
    name = "v1_parts_guanyu_paragraph_measures.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 3  problems: 5  measures: 12  unassigned: 0"
    assert [p.title for p in plan.parts] == ["党的政治建设方面", "全面从严治党方面", "干部队伍建设方面"]
    first = plan.parts[0].problems[0]
    assert first.title == "学习贯彻党的二十大精神不够深入"
    assert first.heading == "（一）关于“学习贯彻党的二十大精神不够深入”问题的整改"
    assert [len(p.measures) for p in plan.iter_problems()] == [3, 2, 2, 3, 2]
    # a paragraph without a marker continues the measure before it
    risk = plan.parts[1].problems[0].measures[0]
    assert risk.source_lines == [13, 14]
    assert risk.text.endswith("对风险点实行动态管理。")
    assert plan.meta.title == "中共某某区卫生健康局委员会关于巡察整改进展情况的通报"
    assert plan.meta.inspecting_group == "区委第二巡察组"
    assert plan.meta.inspected_unit == "区卫生健康局党委"
    assert (plan.meta.period_start, plan.meta.period_end) == (date(2023, 3, 6), date(2023, 4, 28))
    assert plan.meta.feedback_date == date(2023, 6, 15)
    assert plan.meta.report_date == date(2023, 9, 20)
    assert plan.meta.contacts == {"phone": "020-12345678", "email": "wjjdw@example.gov.cn"}
    _assert_all_lines_placed(plan, name)


def test_v2_labelled_fields():
    name = "v2_labelled_fields.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 2  problems: 3  measures: 7  unassigned: 0"
    assert [p.title for p in plan.parts] == ["党的领导方面", "全面从严治党方面"]
    p1, p2 = plan.parts[0].problems
    assert p1.title == "贯彻落实上级决策部署不够到位"
    assert [m.text for m in p1.measures] == [
        "每季度召开党组会专题研究审计重点工作",
        "建立重大决策部署落实台账，实行销号管理。",
    ]
    assert p1.deadline_text == "2023年12月底前" and p1.deadline == date(2023, 12, 31)
    assert p1.responsible_leader == "王某某"
    assert p1.lead_unit == "办公室"
    assert p1.responsible_units == ["办公室", "法规审理科"]
    assert p1.status_text == "已完成"
    # measures take the problem's fields when they have none of their own
    assert p1.measures[1].deadline == date(2023, 12, 31) and p1.measures[1].status_text == "已完成"
    assert len(p2.measures) == 3 and p2.measures[2].text == "明确专人负责会议记录和纪要归档。"
    assert p2.deadline == date(2024, 6, 30) and p2.status_text == "正在推进"
    p3 = plan.parts[1].problems[0]
    assert p3.long_term and p3.deadline is None and p3.deadline_text == "长期坚持"
    assert p3.status_text == "持续推进"
    own = p3.measures[1]
    assert own.responsible_units == ["法规审理科"]
    assert own.deadline == date(2023, 10, 31) and not own.long_term
    assert p3.measures[0].long_term and p3.measures[0].responsible_units == ["各审计科室"]
    assert plan.sections["organisation"] == [
        "一、总体要求",
        "以习近平新时代中国特色社会主义思想为指导，坚持问题导向、目标导向、结果导向，确保反馈问题件件有着落、事事有回音。",
    ]
    assert plan.sections["list_intro"] == ["二、整改任务"]
    assert plan.sections["mechanism"][0] == "三、保障措施"
    assert len(plan.sections["mechanism"]) == 3
    _assert_all_lines_placed(plan, name)


def test_v3_inline_semicolons_and_halfwidth_numbering():
    name = "v3_inline_semicolons_halfwidth.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 2  problems: 4  measures: 11  unassigned: 0"
    assert plan.parts[0].heading == "(一)贯彻落实党的路线方针政策方面"
    assert plan.parts[0].title == "贯彻落实党的路线方针政策方面"
    first = plan.parts[0].problems[0]
    assert first.title == "落实住房保障政策不到位"
    assert first.heading == "1、针对落实住房保障政策不到位问题。"
    assert [m.text for m in first.measures] == [
        "开展保障性住房分配专项检查,清理不符合条件家庭23户",
        "完善住房保障信息系统,实现与民政、公安数据共享",
        "建立季度通报制度,对工作滞后的区进行通报。",
    ]
    assert plan.parts[1].problems[0].title == '"一岗双责"落实不到位'
    assert len(plan.parts[1].problems[0].measures) == 4
    # 二、 after the (一)(二) parts closes the list even though 一、 never appeared
    assert plan.sections["mechanism"][0] == "二、下一步工作打算"
    assert plan.meta.inspecting_group == "市委第一巡察组"
    assert plan.meta.inspected_unit == "市住房和城乡建设局党组"
    assert plan.meta.feedback_date == date(2022, 12, 8)
    _assert_all_lines_placed(plan, name)


def test_v4_bare_statements_one_measure_each_and_long_term():
    name = "v4_bare_statements_long_term.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 2  problems: 5  measures: 5  unassigned: 0"
    titles = [p.title for p in plan.iter_problems()]
    assert titles == [
        "党建工作重视不够", "理论学习流于形式", "调查研究不深入", "会议文件过多", "督查检查考核过频",
    ]
    p1, p2 = plan.parts[0].problems
    assert p1.measures[0].long_term and p1.measures[0].deadline is None and p1.long_term
    assert p2.deadline_text == "长期坚持" and p2.long_term
    assert p2.measures[0].long_term and p2.measures[0].deadline is None
    assert p2.measures[0].text == "建立理论学习中心组学习督查制度，每次学习后撰写心得体会并开展交流研讨。"
    p3, p4, p5 = plan.parts[1].problems
    assert p3.deadline == date(2023, 12, 31) and not p3.long_term
    assert p4.measures[0].text == "严格控制会议和发文数量\n能合并的合并召开，能不发的文件坚决不发。"
    assert p4.measures[0].source_lines == [13, 14]
    assert not p5.long_term and p5.measures[0].deadline is None
    _assert_all_lines_placed(plan, name)


def test_v5_portal_furniture_broken_date_and_matching_statistics():
    name = "v5_portal_furniture_stats_match.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 3  problems: 8  measures: 20  unassigned: 0"
    assert [f.lineno for f in plan.furniture] == [1, 3, 4, 5, 21, 22]
    assert all(f.reason == "page furniture" for f in plan.furniture)
    assert plan.furniture[2].text.startswith("发布时间：2024717日")
    stated = plan.stated
    assert (stated.parts, stated.problems, stated.measures) == (3, 8, 20)
    assert (stated.completed, stated.in_progress, stated.completion_rate) == (18, 2, 90.0)
    assert stated.long_term is None
    assert plan.stats_mismatches() == []
    # the signature date lost characters when scraped: no date, but the text is kept
    assert plan.meta.report_date is None
    assert plan.sections["closing"][-1] == "2024717日"
    assert plan.meta.signatory == "中共某某县教育局党组"
    assert plan.meta.title == "中共某某县教育局党组关于县委巡察整改进展情况的通报"
    assert plan.meta.contacts == {"phone": "0768-1234567", "post": "某某县教育路1号", "postcode": "515000"}
    assert plan.meta.feedback_date == date(2024, 5, 30)
    _assert_all_lines_placed(plan, name)


def test_v6_statistics_that_do_not_match():
    name = "v6_stats_mismatch.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 2  problems: 4  measures: 11  unassigned: 0"
    assert [p.status_text for p in plan.iter_problems()] == ["已完成", "正在推进", "已完成", "正在推进"]
    assert (plan.stated.problems, plan.stated.measures, plan.stated.completion_rate) == (5, 12, 80.0)
    assert plan.stats_mismatches() == [
        "文中称 5 个问题，解析得到 4 个",
        "文中称 12 项整改措施，解析得到 11 项",
        "文中称已完成 3 个问题，解析得到 2 个问题标为已完成",
        "文中称完成率 80%，按已完成 3 / 共 5 计算为 60.0%",
    ]
    _assert_all_lines_placed(plan, name)


def test_v7_text_before_the_first_marker_is_kept():
    name = "v7_text_before_markers.txt"
    plan = _parse(name)
    assert plan.summary_line() == "parts: 2  problems: 3  measures: 6  unassigned: 1"
    problem = plan.parts[0].problems[0]
    assert problem.title == "“三会一课”制度落实不严格"
    assert problem.intro == [
        "经查，2022年部分支部存在会议记录不完整、党课次数不足的情况。",
        "针对该问题，采取以下措施：",
    ]
    assert [m.text for m in problem.measures] == [
        "制定支部组织生活记录规范",
        "每季度对各支部“三会一课”开展情况进行检查。",
    ]
    assert problem.source_lines == [4, 5, 6]
    # text between a part heading and its first problem is reported, not dropped
    (line,) = plan.unassigned
    assert (line.lineno, line.text) == (3, "本部分反馈问题2个，均已整改完成。")
    assert line.reason == "text between a part heading and its first problem"
    # … and is not mistaken for the document's own statistics
    assert plan.stated.problems is None
    # a closing 下一步 paragraph after the last problem is the mechanism section, not a measure
    assert plan.sections["mechanism"] == [
        "下一步，我局将持续巩固整改成果，建立健全长效机制，确保问题不反弹。",
    ]
    assert plan.parts[1].problems[0].measures[-1].text == "建立低保对象动态管理台账，每月更新。"
    assert plan.line_roles[14] == "mechanism"
    _assert_all_lines_placed(plan, name)


def test_list_found_by_heading_when_problems_are_bare_statements():
    text = (
        "根据区委统一部署，区委第三巡察组于2023年3月1日至4月15日对区文化广电旅游体育局党组进行了巡察。\n"
        "一、加强组织领导\n局党组成立整改工作领导小组，党组书记任组长。\n"
        "二、巡察反馈问题整改落实情况\n"
        "1.党建工作重视不够。\n党组每季度专题研究党建工作。\n"
        "2.财务管理不规范。\n一是修订财务管理制度。二是开展财务专项自查。\n"
        "三、下一步工作\n持续巩固整改成果。\n"
    )
    plan = parse_text(text)
    assert plan.summary_line() == "parts: 1  problems: 2  measures: 3  unassigned: 0"
    assert plan.parts[0].title == ""
    assert [p.title for p in plan.iter_problems()] == ["党建工作重视不够", "财务管理不规范"]
    assert plan.sections["organisation"][0] == "一、加强组织领导"
    assert plan.sections["list_intro"] == ["二、巡察反馈问题整改落实情况"]
    assert plan.sections["mechanism"] == ["三、下一步工作", "持续巩固整改成果。"]
    assert plan.meta.inspecting_group == "区委第三巡察组"
    assert plan.meta.inspected_unit == "区文化广电旅游体育局党组"
    assert plan.meta.period_end == date(2023, 4, 15)


def test_problems_without_parts_grouped_by_their_parent_headings():
    text = (
        "二、整改落实情况\n"
        "（一）党的政治建设\n1.关于“政治理论学习不经常”的问题\n一是制定学习计划。二是开展专题研讨。\n"
        "（二）财务管理\n1.关于“公务卡使用不规范”的问题\n严格执行公务卡强制结算目录。\n"
    )
    plan = parse_text(text)
    assert [p.title for p in plan.parts] == ["党的政治建设", "财务管理"]
    assert [p.title for p in plan.iter_problems()] == ["政治理论学习不经常", "公务卡使用不规范"]
    assert plan.measure_count == 3


def test_numbered_measures_under_a_problem_restart_at_one():
    text = (
        "第一部分 组织建设方面\n"
        "1.针对支部换届不及时问题。\n1.全面排查届满支部。\n2.限期完成换届选举。\n"
        "2.针对党费收缴不规范问题。\n1.开展党费收缴专项检查。\n"
    )
    plan = parse_text(text)
    assert [p.title for p in plan.iter_problems()] == ["支部换届不及时", "党费收缴不规范"]
    measures = plan.parts[0].problems[0].measures
    assert [m.text for m in measures] == ["全面排查届满支部。", "限期完成换届选举。"]


def test_heading_with_bracketed_fields_and_inline_measures():
    text = (
        "一、作风建设方面\n"
        "1.关于“会议过多”的问题（责任领导：赵某；牵头单位：办公室；整改时限：2023年第三季度）\n"
        "一是精简会议；二是推行视频会议。\n"
    )
    problem = parse_text(text).parts[0].problems[0]
    assert problem.title == "会议过多"
    assert problem.heading == "1.关于“会议过多”的问题"
    assert problem.responsible_leader == "赵某" and problem.lead_unit == "办公室"
    assert problem.deadline == date(2023, 9, 30)
    assert [m.text for m in problem.measures] == ["精简会议", "推行视频会议。"]


def test_part_count_and_status_sum_mismatches_are_reported():
    text = (
        "巡察反馈共3个方面2个问题，已完成1个，正在整改3个。\n"
        "一、党建方面\n1.针对组织生活不规范问题。\n规范组织生活。\n"
        "二、作风方面\n1.针对文风不实问题。\n精简文件。\n"
    )
    plan = parse_text(text)
    assert plan.stats_mismatches() == [
        "文中称 3 个方面，解析得到 2 个",
        "文中称已完成 1、正在推进 3，合计 4，与 2 个问题或 2 项措施都对不上",
    ]


def test_goal_and_long_progress_text_are_kept():
    text = (
        "一、党建方面\n1.关于“组织生活不规范”的问题\n整改目标：组织生活规范有序。\n"
        "整改措施：（1）制定规范；（2）加强检查。\n整改时限：2023年12月底前\n"
        "整改情况：已完成。通过制定规范、加强检查，组织生活质量明显提升，各支部按要求开展活动。\n"
    )
    plan = parse_text(text)
    problem = plan.parts[0].problems[0]
    assert problem.intro == ["整改目标：组织生活规范有序。"]
    assert [m.text for m in problem.measures] == ["制定规范", "加强检查。"]
    assert problem.status_text == "已完成"
    assert problem.progress_text.startswith("已完成。通过制定规范")
    roles = {1: "part", 2: "problem", 3: "problem", 4: "measure", 5: "problem", 6: "problem"}
    assert plan.line_roles == roles
    data = plan.to_json_dict()["parts"][0]["problems"][0]
    assert data["intro"] == ["整改目标：组织生活规范有序。"] and data["deadline"] == "2023-12-31"
