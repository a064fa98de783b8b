"""Metadata read in the words other reports use: year-less dates, figures, audit and 巡视 rounds, traditional script.

Every snippet is written for the test; the problem list is a fixed one-problem skeleton.
"""

import sys
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import import ParsedPlan, StatedStats, parse_text, round_title  # noqa: E402
from workflows.plan_import.meta import round_kind  # noqa: E402
from workflows.plan_import.text import to_simplified  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "plans" / "seed_haizhu_progress_report.txt"
_BODY = "一、党的政治建设方面\n1.针对理论学习不够深入问题。\n一是修订中心组学习制度。二是每月开展一次集中学习。\n"


def _report(preamble: str, closing: str = "") -> ParsedPlan:
    plan = parse_text(preamble + "\n" + _BODY + closing)
    assert plan.summary_line() == "parts: 1  problems: 1  measures: 2  unassigned: 0"
    return plan


def test_yearless_feedback_date_takes_the_year_of_the_period_before_it():
    plan = _report(
        "2023年2月20日至4月10日，区委第二巡察组对区市场监管局党组进行了常规巡察。"
        "3月15日，区委第二巡察组向区市场监管局党组反馈巡察意见。现将整改情况公布如下。"
    )
    assert (plan.meta.period_start, plan.meta.period_end) == (date(2023, 2, 20), date(2023, 4, 10))
    assert plan.meta.feedback_date == date(2023, 3, 15)
    assert plan.meta.inspecting_group == "区委第二巡察组"
    assert plan.meta.inspected_unit == "区市场监管局党组"


def test_yearless_period_end_is_not_taken_for_the_feedback_date():
    plan = _report("2022年9月1日至10月30日区委第一巡察组对区档案馆进行巡察，并于11月18日反馈了巡察意见。")
    assert plan.meta.feedback_date == date(2022, 11, 18)


def test_yearless_signature_date_takes_the_year_of_the_dates_before_it():
    plan = _report(
        "2023年2月20日至4月10日，区委第二巡察组对区档案馆进行了巡察。2023年5月6日，巡察组向区档案馆反馈了意见。",
        "中共某区档案馆支部委员会\n8月30日\n",
    )
    assert plan.meta.report_date == date(2023, 8, 30)


def test_figures_in_chinese_numerals():
    plan = _report(
        "区委第三巡察组共反馈六个方面二十五个问题。截至目前，已完成整改一百零三个，"
        "阶段性完成十二个，持续整改三个，完成率98.71%。"
    )
    assert plan.stated == StatedStats(
        parts=6, problems=25, completed=103, in_progress=15, completion_rate=98.71
    )


def test_figures_with_突出问题_and_counts_after_the_noun():
    plan = _report("巡察指出4个方面11个突出问题。其中反馈问题11个，已完成整改8个，基本完成2个，正在推进1个。")
    assert plan.stated == StatedStats(parts=4, problems=11, completed=8, in_progress=3)


def test_figures_未完成_counts_as_in_progress_and_is_not_taken_for_completed():
    plan = _report("反馈问题二十个，尚未完成整改5个，已完成整改15个，完成率75%。")
    assert plan.stated == StatedStats(problems=20, completed=15, in_progress=5, completion_rate=75.0)


def test_audit_round_reads_the_audit_office_and_the_audited_unit():
    plan = _report(
        "2023年3月1日至5月31日，区审计局派出审计组对区财政局2022年度预算执行情况进行了审计。"
        "针对审计发现的问题，我局认真抓好审计整改。"
    )
    assert plan.meta.inspecting_group == "区审计局"
    assert plan.meta.inspected_unit == "区财政局"
    assert round_kind(plan) == "审计"
    assert round_title(plan) == "区审计局对区财政局审计发现问题整改"


def test_provincial_audit_group_keeps_its_number():
    plan = _report("省审计厅第二审计组于2024年4月对市水务局进行了经济责任审计。")
    assert plan.meta.inspecting_group == "省审计厅第二审计组"
    assert plan.meta.inspected_unit == "市水务局"
    assert round_kind(plan) == "审计"


def test_provincial_xunshi_round():
    plan = _report(
        "2023年10月9日至12月8日，省委第三巡视组对市农业农村局党组开展了巡视。"
        "2024年1月12日，省委第三巡视组向市农业农村局党组反馈了巡视意见。"
    )
    assert plan.meta.inspecting_group == "省委第三巡视组"
    assert plan.meta.inspected_unit == "市农业农村局党组"
    assert plan.meta.feedback_date == date(2024, 1, 12)
    assert round_kind(plan) == "巡视"
    assert round_title(plan) == "省委第三巡视组对市农业农村局党组巡视反馈意见整改"


def test_central_xunshi_round_read_from_the_feedback_sentence():
    plan = _report("2024年3月5日，中央第七巡视组向某省国资委党委反馈巡视意见。现将巡视整改进展情况予以公布。")
    assert plan.meta.inspecting_group == "中央第七巡视组"
    assert plan.meta.inspected_unit == "某省国资委党委"
    assert round_kind(plan) == "巡视"


def test_round_kind_from_the_preamble_when_no_group_is_named():
    plan = _report("今年以来，我局坚持把审计整改作为重要政治任务，现将整改情况报告如下。")
    assert plan.meta.inspecting_group is None
    assert round_kind(plan) == "审计"


def test_existing_xuncha_rounds_stay_xuncha():
    plan = parse_text(SEED.read_text(encoding="utf-8"))
    assert plan.meta.inspecting_group == "广州市区委巡察第8组"
    assert round_kind(plan) == "巡察"


def test_seed_in_traditional_script_imports_to_the_same_tree():
    from opencc import OpenCC

    simplified = SEED.read_text(encoding="utf-8")
    traditional = OpenCC("s2t").convert(simplified)
    assert traditional != simplified
    original = parse_text(simplified)
    plan = parse_text(traditional)
    assert plan.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0"
    assert plan.parts == original.parts
    assert plan.meta == original.meta
    assert plan.stated == original.stated


def test_simplified_text_is_not_converted():
    text = "针对问题於某处"  # one stray traditional character is not a traditional document
    assert to_simplified(text) is text
