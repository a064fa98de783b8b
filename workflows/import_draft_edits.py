"""Corrections to a parsed plan before it becomes a round: pure functions on a ``ParsedPlan``.

Rename a part, problem or measure; move a measure to another problem; split a measure (after a
chosen sentence, or into two given texts); merge a measure with the next one; promote a line the
importer could not place to a problem; fill in a measure's deadline, leader and units. Items are
addressed by their numbers as the preview shows them (``3``, ``3.2``, ``3.2.1``); after every edit
the ordinals are renumbered, so the numbers always match the page. Bad input raises
``ValidationError`` with a keyed message and leaves the plan unchanged.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from .errors import Message, ValidationError
from .plan_import import ParsedMeasure, ParsedPart, ParsedPlan, ParsedProblem, split_units
from .text_checks import check_text

MAX_TEXT = 5_000  # a title or a measure typed in the preview
MAX_NAME = 100  # a leader's name, a unit's name
LONG_TERM_TEXT = "长期坚持"
_SENTENCE_END = re.compile(r"(?<=[。；;！？!?])")


def refused(key: str, default: str, **params: object) -> ValidationError:
    """A ``ValidationError`` whose message is ``imports.error.<key>`` in the web's catalogue."""
    return ValidationError(Message(f"imports.error.{key}", default, params))


def sentences(text: str) -> list[str]:
    """``text`` cut after each 。；！？ (and their half-width forms); empty pieces dropped."""
    return [piece for piece in _SENTENCE_END.split(text) if piece.strip()]


def part_at(plan: ParsedPlan, number: str) -> ParsedPart:
    """The part numbered ``number`` (``3``)."""
    index = _numbers(number, 1)[0]
    if not 1 <= index <= len(plan.parts):
        raise refused("no_item", "there is no item {number}", number=number)
    return plan.parts[index - 1]


def problem_at(plan: ParsedPlan, number: str) -> ParsedProblem:
    """The problem numbered ``number`` (``3.2``)."""
    part_no, problem_no = _numbers(number, 2)
    part = part_at(plan, str(part_no))
    if not 1 <= problem_no <= len(part.problems):
        raise refused("no_item", "there is no item {number}", number=number)
    return part.problems[problem_no - 1]


def measure_at(plan: ParsedPlan, number: str) -> tuple[ParsedProblem, int]:
    """The problem holding measure ``number`` (``3.2.1``) and the measure's index in it."""
    part_no, problem_no, measure_no = _numbers(number, 3)
    problem = problem_at(plan, f"{part_no}.{problem_no}")
    if not 1 <= measure_no <= len(problem.measures):
        raise refused("no_item", "there is no item {number}", number=number)
    return problem, measure_no - 1


def rename(plan: ParsedPlan, number: str, text: str) -> None:
    """Give part ``3``, problem ``3.2`` or measure ``3.2.1`` a new title or text."""
    text = _text(text)
    depth = number.count(".") + 1
    if depth == 1:
        part_at(plan, number).title = text
    elif depth == 2:
        problem_at(plan, number).title = text
    else:
        problem, index = measure_at(plan, number)
        problem.measures[index].text = text


def move_measure(plan: ParsedPlan, number: str, to_problem: str) -> None:
    """Move measure ``number`` to the end of problem ``to_problem``."""
    problem, index = measure_at(plan, number)
    target = problem_at(plan, to_problem)
    if target is problem:
        raise refused("same_problem", "measure {number} already belongs to problem {to}", number=number,
                      to=to_problem)
    target.measures.append(problem.measures.pop(index))
    renumber(plan)


def split_measure(plan: ParsedPlan, number: str, *, after_sentence: int | None = None,
                  first: str | None = None, second: str | None = None) -> None:
    """Split measure ``number`` in two: after its ``after_sentence``-th sentence, or into the texts
    ``first`` and ``second``. Both halves keep the measure's deadline, owners and source lines."""
    problem, index = measure_at(plan, number)
    measure = problem.measures[index]
    if after_sentence is not None:
        pieces = sentences(measure.text)
        if not 1 <= after_sentence < len(pieces):
            raise refused("split_point", "measure {number} cannot be split there", number=number)
        head, tail = "".join(pieces[:after_sentence]), "".join(pieces[after_sentence:])
    else:
        head, tail = _text(first or ""), _text(second or "")
    measure.text = head.strip()
    problem.measures.insert(index + 1, replace(measure, text=tail.strip(),
                                               responsible_units=list(measure.responsible_units),
                                               source_lines=list(measure.source_lines)))
    renumber(plan)


def merge_with_next(plan: ParsedPlan, number: str) -> None:
    """Join measure ``number`` and the one after it (same problem) into one; the first's owners and
    deadline win, the second's fill what the first lacks."""
    problem, index = measure_at(plan, number)
    if index + 1 >= len(problem.measures):
        raise refused("no_next", "measure {number} is the last of its problem", number=number)
    first, second = problem.measures[index], problem.measures.pop(index + 1)
    first.text = f"{first.text.rstrip()}{second.text.lstrip()}"
    first.source_lines = sorted(set(first.source_lines) | set(second.source_lines))
    if first.deadline is None and first.deadline_text is None:
        first.deadline, first.deadline_text, first.long_term = second.deadline, second.deadline_text, second.long_term
    first.responsible_leader = first.responsible_leader or second.responsible_leader
    first.lead_unit = first.lead_unit or second.lead_unit
    first.responsible_units = first.responsible_units or list(second.responsible_units)
    first.status_text = first.status_text or second.status_text
    renumber(plan)


def promote_line(plan: ParsedPlan, lineno: int, part_number: str, title: str | None = None) -> None:
    """Make the unassigned line ``lineno`` a new problem at the end of part ``part_number``."""
    line = next((u for u in plan.unassigned if u.lineno == lineno), None)
    if line is None:
        raise refused("no_line", "line {line} is not among the unplaced lines", line=lineno)
    part = part_at(plan, part_number)
    text = _text(title or line.text)
    part.problems.append(ParsedProblem(title=text, heading=line.text, ordinal=len(part.problems) + 1,
                                       source_lines=[lineno]))
    plan.unassigned.remove(line)
    plan.line_roles[lineno] = "problem"


def fill_measure(plan: ParsedPlan, number: str, *, deadline: date | None, long_term: bool,
                 leader: str, units: str) -> None:
    """Set measure ``number``'s deadline (or long-term), responsible leader and units as given.

    An empty leader or units clears them; a deadline left as it was keeps the document's wording.
    """
    problem, index = measure_at(plan, number)
    measure = problem.measures[index]
    check_text(leader, "the leader", MAX_NAME)
    names = split_units(units)
    for name in names:
        check_text(name, "a unit", MAX_NAME)
    if long_term and deadline is not None:
        raise refused("deadline_or_long_term", "give a deadline or mark the measure long-term, not both")
    if long_term and not measure.long_term:
        measure.deadline, measure.deadline_text, measure.long_term = None, LONG_TERM_TEXT, True
    elif not long_term and (deadline != measure.deadline or measure.long_term):
        # the date typed replaces the document's wording (as ``fill-in`` does)
        measure.deadline, measure.deadline_text, measure.long_term = deadline, None, False
    measure.responsible_leader = leader.strip() or None
    measure.responsible_units = names


def renumber(plan: ParsedPlan) -> None:
    """Ordinals from positions: part 1…, problem 1… per part, measure 1… per problem."""
    for p, part in enumerate(plan.parts, start=1):
        part.ordinal = p
        for q, problem in enumerate(part.problems, start=1):
            problem.ordinal = q
            for m, measure in enumerate(problem.measures, start=1):
                measure.ordinal = m


def empty_problems(plan: ParsedPlan) -> list[str]:
    """Numbers of the problems without a measure (a round cannot start them)."""
    return [f"{part.ordinal}.{problem.ordinal}" for part in plan.parts for problem in part.problems
            if not problem.measures]


def measure_numbers(plan: ParsedPlan) -> list[tuple[str, ParsedMeasure]]:
    """Every measure with its number, in document order."""
    return [(f"{part.ordinal}.{problem.ordinal}.{measure.ordinal}", measure)
            for part in plan.parts for problem in part.problems for measure in problem.measures]


def _numbers(number: str, depth: int) -> list[int]:
    pieces = number.strip().split(".")
    if len(pieces) != depth or not all(p.isascii() and p.isdecimal() and len(p) <= 6 for p in pieces):
        raise refused("no_item", "there is no item {number}", number=number[:20])
    return [int(p) for p in pieces]


def _text(text: str) -> str:
    text = text.strip()
    if not text:
        raise refused("empty_text", "the text must not be empty")
    check_text(text, "the text", MAX_TEXT)
    return text
