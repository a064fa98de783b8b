"""The rules that place lines into a plan's tree, each with the confidence it earns.

The numbers order the rules by how often each misleads on real reports: a ``针对…问题`` heading is
almost never anything but a problem, while a numbered statement with no measures under it is as often
a section about the work (下一步打算, 主要做法) as a problem. Items below ``DOUBTFUL_BELOW`` are
shown to the person importing as doubtful.
"""

from __future__ import annotations

DOUBTFUL_BELOW = 0.5

# rule -> (confidence, what it means, shown with a doubtful item)
RULES: dict[str, tuple[float, str]] = {
    "part-numbered": (0.95, "a 第X部分 heading"),
    "part-aspect": (0.9, "a heading naming a 方面 of problems"),
    "part-parent": (0.7, "a heading whose sub-headings are problems"),
    "part-implicit": (0.8, "problems without part headings, taken as one group"),
    "part-list-heading": (0.4, "a sub-heading of the heading that names the problem list"),
    "problem-heading": (0.95, "a 针对…问题 / 关于…问题 heading"),
    "problem-label": (0.9, "a 问题一： label"),
    "problem-fields": (0.85, "a heading with labelled fields (整改措施、责任单位、时限…)"),
    "problem-numbered": (0.7, "numbered like the problems beside it"),
    "problem-numbered-bare": (0.45, "numbered like the problems beside it, but with no measures under it"),
    "problem-list-heading": (0.4, "taken for a problem only because the heading above it names the problem list"),
    "problem-inline": (0.45, "an item of a list of problems written inside a paragraph"),
    "measure-marker": (0.9, "a list item (一是, （1）, 1., 第一…)"),
    "measure-paragraph": (0.6, "a paragraph without list markers, taken whole as one measure"),
    "measure-fragment": (0.3, "a list item too short to be a measure"),
}


def rated(rule: str) -> tuple[str, float]:
    """(rule, its confidence) for a rule name of :data:`RULES`."""
    return rule, RULES[rule][0]
