"""One small document per layout the report corpus (tests/fixtures/reports/) showed the importer
missing: problems listed inside a paragraph, report dates outside the closing block, audit wording,
figures in other words, and part levels the corpus documents use. Each snippet is written for the test."""

from __future__ import annotations

from datetime import date

from workflows.plan_import import parse_text
from workflows.plan_import.meta import round_kind
from workflows.plan_import.tree import ParsedPlan

TITLE = "某某局党组关于巡察整改进展情况的通报\n"


def titles(plan: ParsedPlan) -> list[tuple[str, list[str]]]:
    return [(part.title, [p.title for p in part.problems]) for part in plan.parts]


def test_problems_listed_after_a_colon_are_read_as_doubtful_problems() -> None:
    plan = parse_text("区委巡察组向某局反馈了巡察意见。\n会上指出了存在的主要问题：一是学习贯彻不深入，效果不明显；"
                      "二是财务管理不规范；三是意识形态工作责任制落实不到位。\n会议要求，要认真抓好整改。\n")
    assert titles(plan) == [("", ["学习贯彻不深入，效果不明显", "财务管理不规范", "意识形态工作责任制落实不到位"])]
    assert plan.measure_count == 0
    assert {p.rule for p in plan.iter_problems()} == {"problem-inline"}
    assert [d.lineno for d in plan.doubtful] == [2, 2, 2]


def test_inline_lists_in_other_shapes() -> None:
    semicolons = parse_text("反馈会上，巡察组通报了情况。\n问题：学习不深不实；救助审核不严；动态管理机制不健全。\n")
    assert titles(semicolons) == [("", ["学习不深不实", "救助审核不严", "动态管理机制不健全"])]
    some = parse_text("反馈指出了存在的问题：有的理论学习有差距；有的落实部署不到位。\n")
    assert titles(some) == [("", ["理论学习有差距", "落实部署不到位"])]
    commas = parse_text("还存在一些共性问题：学习贯彻有偏差，落实部署有差距，日常工作不到位。\n")
    assert titles(commas) == [("", ["学习贯彻有偏差", "落实部署有差距", "日常工作不到位"])]
    bullets = parse_text(TITLE + "巡视组近日反馈了意见。\n巡视反馈的主要问题\n- 部分单位政治建设用力不足\n"
                         "- 部分单位整改用力不足\n整改要求\n")
    assert titles(bullets) == [("", ["部分单位政治建设用力不足", "部分单位整改用力不足"])]
    assert [p.source_lines for p in bullets.iter_problems()] == [[4], [5]]


def test_a_paragraph_listing_steps_is_not_taken_for_problems() -> None:
    plan = parse_text(TITLE + "主要做法：一是成立领导小组；二是制定整改方案；三是建立台账。\n")
    assert plan.problem_count == 0


def test_the_report_date_is_read_where_portal_pages_and_congress_reports_put_it() -> None:
    assert parse_text("某局党组关于巡察整改进展情况的通报 (2024-07-26)\n正文。\n").meta.report_date == date(2024, 7, 26)
    subtitle = parse_text("关于2020年度审计查出问题整改情况的报告\n——2022年7月27日在省人大常委会会议上\n正文。\n")
    assert subtitle.meta.report_date == date(2022, 7, 27)
    header = parse_text("• 成文日期：\n2023-05-04\n• 公开方式：\n主动公开\n" + TITLE + "正文。\n")
    assert header.meta.report_date == date(2023, 5, 4)
    assert [f.text for f in header.furniture] == ["• 成文日期：", "2023-05-04", "• 公开方式：", "主动公开"]
    published = parse_text("来源：区纪委监委 发布时间：2025-06-24\n" + TITLE + "正文。\n")
    assert published.meta.report_date == date(2025, 6, 24)
    signed = parse_text("来源：区纪委 发布时间：2025-06-24\n" + TITLE + "正文。\n某局党组\n2025年6月20日\n")
    assert signed.meta.report_date == date(2025, 6, 20)  # the signature date wins over the page's


def test_stated_figures_in_audit_and_other_wordings() -> None:
    audit = parse_text(TITLE + "审计查出问题50项，已整改40项，整改率80%。\n").stated
    assert (audit.problems, audit.completed, audit.completion_rate) == (50, 40, 80.0)
    tour = parse_text(TITLE + "对照巡视反馈的五方面17项问题，细化形成160条整改任务。\n").stated
    assert (tour.parts, tour.problems, tour.measures) == (5, 17, 160)
    quoted = parse_text(TITLE + "梳理形成79个“问题清单”、427条“任务清单”。\n").stated
    assert (quoted.problems, quoted.measures) == (79, 427)
    other = parse_text(TITLE + "聚焦6个方面，制定86项细化整改措施，涉及问题有12项，其中13个问题已经整改到位。\n").stated
    assert (other.parts, other.measures, other.problems, other.completed) == (6, 86, 12, 13)
    assert parse_text(TITLE + "一方面要加强学习，另一方面3个问题要整改。\n").stated.parts is None


def test_feedback_problem_labels_group_numbered_problems_into_parts() -> None:
    plan = parse_text(TITLE + "二、巡察反馈问题整改进展情况\n（一）反馈问题：公益性体现不足\n1.绩效方案尚未公布。\n"
                      "整改情况：一是修订方案；二是公开公示。\n")
    assert titles(plan) == [("公益性体现不足", ["绩效方案尚未公布"])]
    assert plan.measure_count == 2


def test_the_one_part_left_in_a_cut_report_keeps_its_title() -> None:
    plan = parse_text(TITLE + "二、巡察反馈问题的整改情况\n（一）聚焦贯彻落实党中央决策部署情况\n"
                      "1.关于理论学习不深入的问题\n整改情况：一是制定学习计划；二是开展专题研讨。\n")
    assert titles(plan) == [("聚焦贯彻落实党中央决策部署情况", ["理论学习不深入"])]


def test_bare_headings_naming_problems_and_a_closing_paragraph_about_all_of_them() -> None:
    plan = parse_text("2022年2月18日至2022年5月31日期间，自治区审计厅对我公司2019至2021年经营情况进行了审计。\n"
                      "一、落实相关政策存在的问题\n二、经营效益方面存在的问题\n"
                      "对上述问题，我公司高度重视，逐项核实整改。\n某某集团有限公司\n2022年9月30日\n")
    assert titles(plan) == [("", ["落实相关政策存在的问题", "经营效益方面存在的问题"])]
    assert plan.measure_count == 0 and plan.sections["mechanism"][0].startswith("对上述问题")
    assert plan.meta.inspecting_group == "自治区审计厅" and plan.meta.inspected_unit == "某某集团有限公司"
    assert plan.meta.period_start == date(2022, 2, 18) and round_kind(plan) == "审计"


def test_audit_offices_named_by_their_reporting_official_and_audit_periods_without_an_end() -> None:
    byline = parse_text("关于2021年度预算执行审计查出问题整改情况的报告\n省审计厅厅长刘某在会议上作了报告。\n正文。\n")
    assert byline.meta.inspecting_group == "省审计厅" and round_kind(byline) == "审计"
    since = parse_text("审计组于2022年10月24日起对某局进行了就地审计。\n正文。\n")
    assert since.meta.period_start == date(2022, 10, 24)
    assert round_kind(parse_text("关于专项审计调查发现问题的整改报告\n正文。\n")) == "审计"


def test_more_portal_furniture() -> None:
    plan = parse_text("返回上一级\n字号\n打印\n" + TITLE + "正文。\n")
    assert plan.meta.title == TITLE.strip() and len(plan.furniture) == 3


def test_every_count_of_open_problems_adds_up_once_and_a_round_summary_reconciles() -> None:
    plan = parse_text("2021年11月8日至12月20日，区委组建4个巡察组对区民政局等4家单位开展常规巡察。\n"
                      "巡察反馈的697个问题，完成整改688个，基本完成取得阶段性成果并持续整改问题4个，未完成5个，"
                      "总体完成率98.71%。\n")
    assert (plan.stated.completed, plan.stated.in_progress) == (688, 9)
    assert plan.stats_mismatches() == ["文中称 697 个问题，解析得到 0 个"]  # both numbers, nothing else
    assert plan.meta.inspecting_group == "区委巡察组"
    partial = parse_text(TITLE + "反馈问题19个，已完成整改9个，阶段性完成整改9个，未完成整改1个。\n").stated
    assert partial.in_progress == 10
    once = parse_text(TITLE + "反馈问题10个，已完成8个，正在推进2个。\n").stated
    assert once.in_progress == 2


def test_a_problem_named_by_its_description_field_and_a_period_in_two_stretches() -> None:
    plan = parse_text(TITLE + "一、高度重视\n镇党委召开专题会议部署整改。\n二、整改情况\n"
                      "问题描述：污水处理设施未启用。\n整改措施：1、改造供电线路；2、清理蓄水池。\n")
    assert [(p.title, p.finding, [m.text for m in p.measures]) for p in plan.iter_problems()] == [
        ("污水处理设施未启用", "污水处理设施未启用。", ["改造供电线路", "清理蓄水池。"])]
    period = parse_text("巡察组于2022年3月17日至3月22日、5月5日至7月12日对某局进行了巡察。\n" + TITLE).meta
    assert (period.period_start, period.period_end) == (date(2022, 3, 17), date(2022, 7, 12))


def test_a_congress_audit_report_names_the_government_whose_budget_was_audited() -> None:
    for text, unit in (
        ("广东省人民政府关于我省2020年度省级预算执行审计查出问题的整改情况报告\n广东省人民政府关于我省2020年度"
         "预算执行审计查出问题整改情况\n省审计厅厅长某某在会议上作了报告。\n正文。\n", "广东省"),
        ("2018年11月22日在慈溪市十七届人大常委会第十六次会议上\n市审计局局长 某某\n正文。\n", "慈溪市"),
        ("市审计局局长 某某\n现报告《关于瑞金市2020年度市本级预算执行的审计工作报告》所提问题的整改情况。\n",
         "瑞金市"),
    ):
        meta = parse_text(text).meta
        assert meta.inspected_unit == unit, (text, meta)
        assert meta.inspecting_group and "审计" in meta.inspecting_group
    assert parse_text(TITLE + "在区十届人大常委会上报告了巡察整改情况。\n").meta.inspected_unit is None  # not an audit
