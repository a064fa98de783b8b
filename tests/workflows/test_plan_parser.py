"""The importer on the real published seed report (广州市海珠区委政法委 巡察整改进展情况)."""

import json
import sys
from datetime import date
from pathlib import Path

import pytest

# tests/workflows has no __init__.py, so pytest does not put the project root on sys.path
ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from workflows.plan_import import (  # noqa: E402
    ParsedPlan,  # noqa: E402
    parse_file,
    parse_text,
)

PLANS = ROOT / "tests" / "fixtures" / "plans"
SEED = PLANS / "seed_haizhu_progress_report.txt"


@pytest.fixture(scope="module")
def seed() -> ParsedPlan:
    return parse_file(SEED)


def test_seed_counts(seed):
    assert len(seed.parts) == 10
    assert seed.problem_count == 25
    assert seed.measure_count == 55
    assert seed.unassigned == []
    assert seed.furniture == []
    assert seed.summary_line() == "parts: 10  problems: 25  measures: 55  unassigned: 0"


def test_seed_measures_per_problem(seed):
    per_part = [[len(p.measures) for p in part.problems] for part in seed.parts]
    assert per_part == [
        [2, 4, 3], [2, 1], [3, 3, 3], [2, 2, 3], [4, 1], [1], [1, 1, 1], [3, 2], [2, 1, 3], [3, 3, 1],
    ]


def test_seed_part_and_problem_titles(seed):
    part1 = seed.parts[0]
    assert part1.title == "学习贯彻习近平新时代中国特色社会主义思想和党的新精神方面"
    assert part1.heading == "第一部分 学习贯彻习近平新时代中国特色社会主义思想和党的新精神方面"
    assert [p.title for p in part1.problems] == [
        "理论学习不够深入", "党性教育开展不扎实", "意识形态责任制虚化",
    ]
    assert part1.problems[0].heading == "1.针对理论学习不够深入问题。"
    assert part1.problems[1].ordinal == 2
    assert seed.parts[1].problems[1].title == "维稳工作长效机制不健全"
    assert [part.ordinal for part in seed.parts] == list(range(1, 11))
    assert seed.parts[9].title == "履行管党治党政治责任方面"


def test_seed_measure_texts(seed):
    first = seed.parts[0].problems[0].measures
    assert first[0].text.startswith("明确每两个月组织一次中心组集中学习")
    assert first[0].text.endswith("根据需要随时增加中心组集中学习次数。")
    assert first[1].text.startswith("规定每次中心组集中学习都必须不少于两位领导")
    assert [m.ordinal for m in seed.parts[0].problems[1].measures] == [1, 2, 3, 4]
    assert seed.parts[0].problems[1].measures[3].text.startswith("从2020年10月起")
    assert all(m.source_lines == [11] for m in first)


def test_seed_semicolon_separated_measures(seed):
    measures = seed.parts[2].problems[2].measures
    assert seed.parts[2].problems[2].title == "平安建设考核作用发挥不充分"
    assert len(measures) == 3
    assert measures[0].text.endswith("南洲街实施重点关注")
    assert measures[2].text.startswith("针对市对我区平安建设考评中扣分项")


def test_seed_unnumbered_problem_in_part_six(seed):
    part6 = seed.parts[5]
    assert part6.title == "执行中央八项规定和实施细则精神方面"
    assert len(part6.problems) == 1
    problem = part6.problems[0]
    assert problem.title == "清退费用不够彻底"
    assert problem.heading == "针对清退费用不够彻底问题。"
    assert [m.text for m in problem.measures] == [
        "经多方积极协调,目前清退对象相应的津补贴金额已全部清退完毕。",
    ]


def test_seed_bare_statement_problems(seed):
    part8 = seed.parts[7]
    assert [p.title for p in part8.problems] == ["党建工作重视不够", "党内政治生活不严肃"]
    assert len(part8.problems[0].measures) == 3
    assert seed.parts[9].problems[0].title == "落实“一岗双责”不到位"


def test_seed_unmarked_problem_is_one_measure(seed):
    problem = seed.parts[1].problems[1]
    assert len(problem.measures) == 1
    assert problem.measures[0].text.startswith("结合区情实际和上级文件精神")
    assert problem.measures[0].source_lines == [20]


def test_seed_meta(seed):
    meta = seed.meta
    assert meta.inspecting_group == "广州市区委巡察第8组"
    assert meta.inspected_unit == "海珠区委政法委"
    assert meta.period_start == date(2020, 8, 24)
    assert meta.period_end == date(2020, 9, 25)
    assert meta.feedback_date == date(2020, 10, 21)
    assert meta.report_date == date(2021, 10, 14)
    assert meta.signatory == "中共广州市海珠区委政法委员会"
    assert meta.title is None
    assert meta.contacts == {
        "phone": "020-89088142",
        "post": "广州市海珠区广州大道南999号区委政法委",
        "postcode": "510000",
        "email": "gzhzq12345@126.com",
    }


def test_seed_sections(seed):
    sections = seed.sections
    assert sections["preamble"][0].startswith("根据区委统一部署")
    assert sections["organisation"][0] == "一、提高政治站位,强化组织领导,压实巡察整改主体责任"
    assert len(sections["organisation"]) == 5
    assert sections["list_intro"][0].startswith("二、聚焦巡察反馈清单")
    assert sections["mechanism"][0].startswith("三、持续整改落实")
    assert len(sections["mechanism"]) == 5
    assert sections["closing"][0].startswith("欢迎广大干部群众")
    assert sections["closing"][-2:] == ["中共广州市海珠区委政法委员会", "2021年10月14日"]


def test_seed_no_stated_statistics_and_no_mismatch(seed):
    assert all(value is None for value in vars(seed.stated).values())
    assert seed.stats_mismatches() == []


def test_every_nonempty_line_is_accounted_for(seed):
    lines = SEED.read_text(encoding="utf-8").splitlines()
    nonempty = {no for no, text in enumerate(lines, start=1) if text.strip()}
    assert set(seed.line_roles) == nonempty
    roles = seed.line_roles
    assert roles[1] == "preamble" and roles[2] == "organisation" and roles[7] == "list_intro"
    assert roles[9] == "part" and roles[10] == "problem" and roles[11] == "measure"
    assert roles[69] == "mechanism" and roles[74] == "closing" and roles[76] == "closing"


def test_to_json_dict_round_trips(seed):
    data = seed.to_json_dict()
    text = json.dumps(data, ensure_ascii=False)
    back = json.loads(text)
    assert back["meta"]["feedback_date"] == "2020-10-21"
    assert back["meta"]["period_start"] == "2020-08-24"
    assert back["meta"]["contacts"]["email"] == "gzhzq12345@126.com"
    assert set(back) >= {"meta", "stated", "parts", "unassigned", "sections", "furniture"}
    problem = back["parts"][0]["problems"][0]
    assert problem["title"] == "理论学习不够深入"
    assert len(problem["measures"]) == 2
    assert set(problem["measures"][0]) >= {
        "text", "ordinal", "deadline_text", "deadline", "long_term", "responsible_leader",
        "lead_unit", "responsible_units", "status_text", "source_lines",
    }
    assert back["counts"] == {"parts": 10, "problems": 25, "measures": 55, "unassigned": 0}
    assert "理论学习不够深入" in text  # ensure_ascii=False keeps the Chinese readable


def test_parse_text_equals_parse_file(seed):
    again = parse_text(SEED.read_text(encoding="utf-8"), source_name="seed.txt")
    assert again.summary_line() == seed.summary_line()
    assert again.source_name == "seed.txt"


def test_summary_line_format_with_unassigned():
    plan = parse_text("第一部分 党建方面\n本部分说明。\n1.党建工作重视不够。\n加强党建。\n")
    assert plan.summary_line() == "parts: 1  problems: 1  measures: 1  unassigned: 1"
