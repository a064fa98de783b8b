"""Which rule placed each part, problem and measure, and how far that placement can be trusted.

Every item of the tree carries ``rule`` (a short stable name) and ``confidence`` (0..1). Items below
``DOUBTFUL_BELOW`` are listed in ``ParsedPlan.doubtful`` so that the person importing reviews those
and only those (the rules and their confidences are in ``rules.py``).
"""

from __future__ import annotations

from workflows.plan_import.measures import contains_field_label
from workflows.plan_import.outline import (
    Line,
    is_part_shaped,
    is_problem_shaped,
    normalise,
    parse_heading,
    unnumbered_problem,
)
from workflows.plan_import.rules import DOUBTFUL_BELOW, RULES, rated
from workflows.plan_import.tree import ParsedPart, ParsedPlan, ParsedProblem, UnassignedLine

_SHORT_MEASURE = 4


def assess(plan: ParsedPlan, *, weak: bool) -> None:
    """Set ``rule``/``confidence`` on every part and problem and fill ``plan.doubtful``.

    ``weak`` says the problem list was found only by a heading naming it. Measures were rated
    where they were split (they know whether list markers cut them).
    """
    doubtful: list[UnassignedLine] = []
    for part in plan.parts:
        part.rule, part.confidence = _part_rule(part, weak)
        if part.confidence < DOUBTFUL_BELOW and part.source_lines:
            doubtful.append(_doubt(part.source_lines[0], part.heading, part.rule))
        for problem in part.problems:
            problem.rule, problem.confidence = _problem_rule(problem, weak)
            if problem.confidence < DOUBTFUL_BELOW:
                doubtful.append(_doubt(problem.source_lines[0], problem.heading, problem.rule))
            for measure in problem.measures:
                if len(measure.text.strip()) < _SHORT_MEASURE and measure.rule == "measure-marker":
                    measure.rule, measure.confidence = rated("measure-fragment")
                if measure.confidence < DOUBTFUL_BELOW and measure.source_lines:
                    doubtful.append(_doubt(measure.source_lines[0], measure.text, measure.rule))
    plan.doubtful = sorted(doubtful, key=lambda d: d.lineno)


def _doubt(lineno: int, text: str, rule: str) -> UnassignedLine:
    return UnassignedLine(lineno, text, RULES[rule][1])


def _part_rule(part: ParsedPart, weak: bool) -> tuple[str, float]:
    if not part.heading:
        return rated("part-implicit")
    if weak:
        return rated("part-list-heading")
    if normalise(part.heading).startswith("第"):
        return rated("part-numbered")
    if is_part_shaped(normalise(part.title)):
        return rated("part-aspect")
    return rated("part-parent")


def _problem_rule(problem: ParsedProblem, weak: bool) -> tuple[str, float]:
    if problem.rule == "problem-inline":  # set where the inline list was read
        return rated(problem.rule)
    if weak:
        return rated("problem-list-heading")
    line = Line(0, problem.heading, normalise(problem.heading))
    heading = (parse_heading(line) or unnumbered_problem(line)) if line.norm else None
    text = heading.norm_text if heading else line.norm
    if heading is not None and heading.kind == "Q":
        return rated("problem-label")
    if is_problem_shaped(text) or (heading is not None and heading.kind == "U"):
        return rated("problem-heading")
    if contains_field_label(text) or problem.finding or problem.lead_unit or problem.deadline_text:
        return rated("problem-fields")
    if not problem.measures:
        return rated("problem-numbered-bare")
    return rated("problem-numbered")
