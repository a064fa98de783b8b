"""Chinese numerals, dates, deadlines and stated statistics."""

import sys
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import.dates import cn_to_int, parse_date, parse_deadline, parse_period  # noqa: E402
from workflows.plan_import.meta import extract_stats  # noqa: E402
from workflows.plan_import.outline import normalise  # noqa: E402


@pytest.mark.parametrize(
    ("text", "value"),
    [("25", 25), ("十", 10), ("十二", 12), ("二十", 20), ("二十五", 25), ("一百零三", 103), ("两", 2),
     ("二〇二一", 2021), ("abc", None), ("", None)],
)
def test_cn_to_int(text, value):
    assert cn_to_int(text) == value


@pytest.mark.parametrize(
    ("text", "due", "long_term"),
    [
        ("2023年12月底前", date(2023, 12, 31), False),
        ("2024年2月底前", date(2024, 2, 29), False),
        ("2024年6月30日前", date(2024, 6, 30), False),
        ("2023年底前", date(2023, 12, 31), False),
        ("2024年上半年", date(2024, 6, 30), False),
        ("2023年第三季度", date(2023, 9, 30), False),
        ("2023年十二月底前", date(2023, 12, 31), False),
        ("长期坚持", None, True),
        ("立行立改，长期坚持", None, True),
        ("立行立改", None, False),
        ("2024717日前", None, False),
    ],
)
def test_parse_deadline(text, due, long_term):
    deadline = parse_deadline(text)
    assert (deadline.due, deadline.long_term) == (due, long_term)
    assert deadline.text == text


def test_parse_date_and_broken_dates():
    assert parse_date("2020年10月21日,广州市") == date(2020, 10, 21)
    assert parse_date("二〇二一年十月十四日") == date(2021, 10, 14)
    assert parse_date("2021-10-14") == date(2021, 10, 14)
    assert parse_date("2024717日") is None
    assert parse_date("2023年2月30日") is None


def test_parse_period_inherits_year_and_month():
    assert parse_period("2020年8月24日至9月25日") == (date(2020, 8, 24), date(2020, 9, 25))
    assert parse_period("2023年3月1日至15日") == (date(2023, 3, 1), date(2023, 3, 15))
    assert parse_period("2022年11月20日至2023年1月10日") == (date(2022, 11, 20), date(2023, 1, 10))
    assert parse_period("2024717日至8月30日") == (None, None)


def test_stats_in_chinese_numerals():
    stats = extract_stats(normalise(
        "巡察组共反馈十二个方面二十五个问题，制定整改措施八十六条。目前已完成十九个，正在推进六个，完成率76%。"
    ))
    assert (stats.parts, stats.problems, stats.measures) == (12, 25, 86)
    assert (stats.completed, stats.in_progress, stats.completion_rate) == (19, 6, 76.0)


def test_stats_other_phrasings():
    stats = extract_stats(normalise("反馈问题25个，已整改完成22个，3项需长期坚持，整改完成率为88％。"))
    assert (stats.problems, stats.completed, stats.long_term, stats.completion_rate) == (25, 22, 3, 88.0)
    stats = extract_stats(normalise("长期坚持3项。"))
    assert stats.long_term == 3


def test_stats_ignore_unrelated_numbers():
    stats = extract_stats(normalise("每一个问题都要整改到位，查扣车辆17875辆，一年不少于6次，三个方面入手。"))
    assert vars(stats) == {k: None for k in vars(stats)}


def test_stats_from_a_published_district_summary():
    stats = extract_stats(normalise(
        "截止目前,巡察反馈的697个问题,完成整改688个,基本完成取得阶段性成果并持续整改问题4个,"
        "未完成5个,总体完成率98.71%。"
    ))
    assert (stats.problems, stats.completed, stats.completion_rate) == (697, 688, 98.71)
