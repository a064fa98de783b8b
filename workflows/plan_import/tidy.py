"""Touches to a parsed plan after its tree is built."""

from __future__ import annotations

import re

from workflows.plan_import.tree import ParsedPlan

_NEXT_STEPS_RE = re.compile(r"^(?:下一步|下步|今后)")
# "对上述问题，我公司高度重视…": about every problem, never one problem's own measure
_ALL_PROBLEMS_RE = re.compile(r"^(?:针对|对于?)?(?:上述|以上)(?:问题|情况|反馈)")


def split_off_next_steps(plan: ParsedPlan) -> None:
    """Move a trailing 下一步… or 对上述问题… paragraph out of the very last measure into the
    mechanism section.

    Without a closing section heading, such a paragraph would otherwise read as part of the
    last measure. Only whole paragraphs (one per source line) are moved; a measure that is
    nothing but such paragraphs goes whole.
    """
    problems = plan.iter_problems()
    if not problems or not problems[-1].measures:
        return
    problem, measure = problems[-1], problems[-1].measures[-1]
    pieces = measure.text.split("\n")
    if len(pieces) != len(measure.source_lines):
        return
    for i in range(len(pieces)):
        if _ALL_PROBLEMS_RE.match(pieces[i]) or (i and _NEXT_STEPS_RE.match(pieces[i])):
            moved = set(measure.source_lines[i:])
            plan.sections["mechanism"][:0] = pieces[i:]
            measure.text = "\n".join(pieces[:i])
            measure.source_lines = measure.source_lines[:i]
            if not i:
                problem.measures.pop()
            problem.source_lines = [no for no in problem.source_lines if no not in moved]
            for no in moved:
                plan.line_roles[no] = "mechanism"
            return
