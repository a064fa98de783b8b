"""Every part, problem and measure says which rule placed it and how far to trust it; the weak ones
are listed as doubtful, in the dry run, its JSON and a stored draft alike."""

from __future__ import annotations

import json
from pathlib import Path

from workflows.import_draft_tree import plan_from_json, plan_to_json
from workflows.plan_import import parse_file, parse_text
from workflows.plan_import.rules import DOUBTFUL_BELOW, RULES

SEED = Path(__file__).resolve().parents[1] / "fixtures" / "plans" / "seed_haizhu_progress_report.txt"
TITLE = "中共某某局党组关于巡察整改进展情况的通报\n"


def _items(plan):  # type: ignore[no-untyped-def]
    return [*plan.parts, *plan.iter_problems(), *plan.iter_measures()]


def test_every_item_of_the_seed_names_a_known_rule_and_none_is_doubtful() -> None:
    plan = parse_file(SEED)
    rules = {item.rule for item in _items(plan)}
    assert rules <= set(RULES)
    assert {"part-numbered", "problem-heading", "measure-marker"} <= rules
    assert all(item.confidence >= DOUBTFUL_BELOW for item in _items(plan))
    assert plan.doubtful == []


def test_a_numbered_statement_without_measures_beside_real_problems_is_doubtful() -> None:
    plan = parse_text(TITLE + "一、党的建设方面\n（一）针对学习制度落实不到位问题\n"
                      "一是修订学习制度；二是开展专题学习。\n（二）针对会议记录不规范问题\n一是统一记录格式。\n（三）其他工作情况\n")
    problems = plan.iter_problems()
    assert [p.rule for p in problems] == ["problem-heading", "problem-heading", "problem-numbered-bare"]
    assert [(d.lineno, d.text) for d in plan.doubtful] == [(7, "（三）其他工作情况")]
    assert plan.doubtful[0].reason == RULES["problem-numbered-bare"][1]


def test_a_list_item_too_short_to_be_a_measure_is_doubtful() -> None:
    plan = parse_text(TITLE + "一、作风建设方面\n1.针对公车管理不规范问题\n"
                      "一是完善派车制度；二是无；三是开展专项检查。\n")
    measures = plan.iter_measures()
    assert [m.rule for m in measures] == ["measure-marker", "measure-fragment", "measure-marker"]
    assert [d.text for d in plan.doubtful] == ["无"]


def test_a_paragraph_without_markers_is_one_measure_of_middling_confidence() -> None:
    plan = parse_text(TITLE + "一、作风建设方面\n1.针对公车管理不规范问题\n已完善派车制度并开展专项检查。\n")
    (measure,) = plan.iter_measures()
    assert (measure.rule, measure.confidence) == ("measure-paragraph", RULES["measure-paragraph"][0])
    assert DOUBTFUL_BELOW <= measure.confidence < RULES["measure-marker"][0]


def test_problems_under_a_list_heading_only_are_doubtful_and_the_json_carries_rules() -> None:
    plan = parse_text(TITLE + "一、巡察反馈问题整改情况\n（一）会议记录不完整。\n已建立会议记录审核制度。\n")
    data = json.loads(json.dumps(plan.to_json_dict(), ensure_ascii=False))
    problem = data["parts"][0]["problems"][0]
    assert (problem["rule"], problem["confidence"]) == ("problem-list-heading", RULES["problem-list-heading"][0])
    assert data["parts"][0]["rule"] == "part-implicit"
    assert [d["lineno"] for d in data["doubtful"]] == [3]


def test_a_stored_draft_keeps_each_items_rule_and_confidence() -> None:
    plan = parse_file(SEED)
    back = plan_from_json(plan_to_json(plan))
    assert [(i.rule, i.confidence) for i in _items(back)] == [(i.rule, i.confidence) for i in _items(plan)]
