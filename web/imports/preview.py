"""What the preview page shows of a plan draft: the tree, the numbered source lines with their roles,
the stated figures against the parsed counts, and the choices the correction forms offer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from workflows.import_draft_edits import empty_problems, sentences
from workflows.import_draft_tree import revision_of
from workflows.import_drafts import draft_plan
from workflows.models import ImportDraft
from workflows.plan_import import DOUBTFUL_BELOW, RULES, ParsedPlan, round_title

from ..i18n import t

# the parser's reasons for leaving a line unplaced -> the text key that says it in the reader's language
REASON_KEYS = {
    "text between a part heading and its first problem": "imports.reason.part_intro",
    "section inside the problem list that contains no problems": "imports.reason.between",
    "no problem list was recognised in the document": "imports.reason.no_list",
    **{description: f"imports.rule.{name}" for name, (_, description) in RULES.items()},
}


def reason_text(reason: str) -> str:
    """Why a line was not placed, translated when the reason is one the parser is known to give."""
    key = REASON_KEYS.get(reason)
    return t(key) if key else reason


@dataclass(frozen=True)
class Doubt:
    """An item placed by a weak rule: its page anchor, its number, its text and the rule's key."""

    anchor: str
    number: str
    text: str
    rule_key: str


@dataclass
class SourceLine:
    """One non-empty line of the document and where it went (``unassigned`` is highlighted)."""

    no: int
    text: str
    role: str
    focus: bool = False


@dataclass
class Figure:
    """A figure the text states (or not) beside the parsed count; ``off`` when they disagree."""

    key: str
    stated: int | None
    parsed: int

    @property
    def off(self) -> bool:
        return self.stated is not None and self.stated != self.parsed


@dataclass
class PlanPreview:
    """Everything ``imports/preview.html`` renders for a plan draft."""

    plan: ParsedPlan
    revision: int
    title: str
    lines: list[SourceLine]
    figures: list[Figure]
    mismatches: list[str]
    empty: list[str]
    problem_choices: list[tuple[str, str]]  # (number, label) for "move to"
    sentences: dict[str, list[str]] = field(default_factory=dict)  # measure number -> its sentences
    unassigned: set[int] = field(default_factory=set)
    focus: set[int] = field(default_factory=set)  # the source lines of the item the page was opened at
    doubtful: list[Doubt] = field(default_factory=list)


def plan_preview(draft: ImportDraft, at: str = "") -> PlanPreview:
    """The preview of a plan draft as it stands after its corrections; ``at`` (``m-1-2-3``, ``q-1-2``)
    names the item whose source lines are marked."""
    plan = draft_plan(draft)
    unassigned = {line.lineno for line in plan.unassigned}
    focus = _focus(plan, at)
    lines = [SourceLine(no, text, "unassigned" if no in unassigned else plan.line_roles.get(no, "other"), no in focus)
             for no, text in enumerate(_texts(draft.lines), start=1) if text.strip()]
    stated = plan.stated
    figures = [Figure("parts", stated.parts, len(plan.parts)),
               Figure("problems", stated.problems, plan.problem_count),
               Figure("measures", stated.measures, plan.measure_count)]
    choices = [(f"{part.ordinal}.{problem.ordinal}", f"{part.ordinal}.{problem.ordinal} {_short(problem.title)}")
               for part in plan.parts for problem in part.problems]
    cut = {f"{part.ordinal}.{problem.ordinal}.{measure.ordinal}": sentences(measure.text)
           for part in plan.parts for problem in part.problems for measure in problem.measures}
    return PlanPreview(plan, revision_of(draft.tree), round_title(plan), lines, figures, plan.stats_mismatches(),
                       empty_problems(plan), choices, cut, unassigned, focus, _doubts(plan))


def _doubts(plan: ParsedPlan) -> list[Doubt]:
    """Every part, problem and measure below the doubt threshold, read from the tree itself so that
    a stored and corrected draft shows what is still doubtful."""
    found: list[Doubt] = []
    for part in plan.parts:
        p = str(part.ordinal)
        if part.confidence < DOUBTFUL_BELOW:
            found.append(Doubt(f"p-{p}", p, part.title or part.heading, f"imports.rule.{part.rule}"))
        for problem in part.problems:
            q = f"{p}.{problem.ordinal}"
            if problem.confidence < DOUBTFUL_BELOW:
                found.append(Doubt(f"q-{q.replace('.', '-')}", q, problem.title, f"imports.rule.{problem.rule}"))
            for measure in problem.measures:
                m = f"{q}.{measure.ordinal}"
                if measure.confidence < DOUBTFUL_BELOW:
                    found.append(Doubt(f"m-{m.replace('.', '-')}", m, measure.text, f"imports.rule.{measure.rule}"))
    return found


def _focus(plan: ParsedPlan, at: str) -> set[int]:
    kind, _, number = at.partition("-")
    numbers = [int(n) - 1 for n in number.split("-") if n.isascii() and n.isdecimal() and len(n) <= 4]
    try:
        if kind == "m" and len(numbers) == 3:
            return set(plan.parts[numbers[0]].problems[numbers[1]].measures[numbers[2]].source_lines)
        if kind == "q" and len(numbers) == 2:
            return set(plan.parts[numbers[0]].problems[numbers[1]].source_lines)
    except IndexError:  # the item moved since the link was made
        pass
    return set()


def _texts(lines: list[Any]) -> list[str]:
    return [line if isinstance(line, str) else "" for line in lines]


def _short(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
