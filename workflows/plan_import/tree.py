"""The result of importing a rectification plan or progress report: a plain tree.

``ParsedPlan`` -> ``ParsedPart`` (方面) -> ``ParsedProblem`` (问题) -> ``ParsedMeasure`` (整改措施),
plus the document's metadata, the statistics it states about itself, its non-problem
sections and every line the importer could not place (``unassigned``) or recognised as
portal furniture (``furniture``), so that nothing is dropped silently.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

SECTION_KEYS = ("preamble", "organisation", "list_intro", "mechanism", "closing")
EMPTY_TREE_NOTE = "no problems recognised: the ledger is empty; the round's metadata and stated figures were read"

_DONE_RE = re.compile(r"已完成|已整改|完成整改|整改完成|已销号|已办结")
_LONG_RE = re.compile(r"长期")
_GOING_RE = re.compile(r"正在|推进中|整改中|持续推进|持续整改|未完成|尚未完成")


@dataclass
class PlanMeta:
    """Who inspected whom, when, and who signed the report."""

    inspecting_group: str | None = None
    inspected_unit: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    feedback_date: date | None = None
    report_date: date | None = None
    signatory: str | None = None
    title: str | None = None
    contacts: dict[str, str] = field(default_factory=dict)


@dataclass
class StatedStats:
    """What the text claims about itself ("25个问题…已完成19个…完成率76%")."""

    parts: int | None = None
    problems: int | None = None
    measures: int | None = None
    completed: int | None = None
    in_progress: int | None = None
    long_term: int | None = None
    completion_rate: float | None = None


@dataclass
class ParsedMeasure:
    """One rectification measure (一是…, （1）…, or a whole paragraph)."""

    text: str
    ordinal: int
    deadline_text: str | None = None
    deadline: date | None = None
    long_term: bool = False
    responsible_leader: str | None = None
    lead_unit: str | None = None
    responsible_units: list[str] = field(default_factory=list)
    status_text: str | None = None
    source_lines: list[int] = field(default_factory=list)
    progress_text: str | None = None
    rule: str = ""  # see confidence.RULES
    confidence: float = 1.0


@dataclass
class ParsedProblem:
    """One feedback problem with its measures and the labelled fields given for it.

    ``intro`` keeps text found between the heading and the first measure marker;
    ``progress_text`` keeps a long 整改情况/整改进展 paragraph in full; ``finding`` is the text
    stating the problem (问题表现) when the document gives it apart from the measures.
    """

    title: str
    heading: str
    ordinal: int
    measures: list[ParsedMeasure] = field(default_factory=list)
    long_term: bool = False
    deadline_text: str | None = None
    deadline: date | None = None
    responsible_leader: str | None = None
    lead_unit: str | None = None
    responsible_units: list[str] = field(default_factory=list)
    status_text: str | None = None
    progress_text: str | None = None
    intro: list[str] = field(default_factory=list)
    source_lines: list[int] = field(default_factory=list)
    finding: str | None = None
    rule: str = ""  # see confidence.RULES
    confidence: float = 1.0


@dataclass
class ParsedPart:
    """A group of problems (第一部分 …方面). ``title`` is empty for an implicit single group."""

    title: str
    heading: str
    ordinal: int
    problems: list[ParsedProblem] = field(default_factory=list)
    source_lines: list[int] = field(default_factory=list)
    rule: str = ""  # see confidence.RULES
    confidence: float = 1.0


@dataclass
class UnassignedLine:
    """A non-empty line that is not part of the tree, with the reason why."""

    lineno: int
    text: str
    reason: str


@dataclass
class ParsedPlan:
    """A whole imported document. ``line_roles`` maps every non-empty line number to where it went."""

    meta: PlanMeta = field(default_factory=PlanMeta)
    stated: StatedStats = field(default_factory=StatedStats)
    parts: list[ParsedPart] = field(default_factory=list)
    sections: dict[str, list[str]] = field(default_factory=lambda: {k: [] for k in SECTION_KEYS})
    unassigned: list[UnassignedLine] = field(default_factory=list)
    furniture: list[UnassignedLine] = field(default_factory=list)
    line_roles: dict[int, str] = field(default_factory=dict)
    source_name: str = "<text>"
    # lines placed by a weak rule only, shown by a dry run; a stored draft does not keep them
    doubtful: list[UnassignedLine] = field(default_factory=list, compare=False)

    @property
    def problem_count(self) -> int:
        """Number of problems over all parts."""
        return sum(len(part.problems) for part in self.parts)

    @property
    def measure_count(self) -> int:
        """Number of measures over all problems."""
        return sum(len(problem.measures) for part in self.parts for problem in part.problems)

    def iter_problems(self) -> list[ParsedProblem]:
        """All problems in document order."""
        return [problem for part in self.parts for problem in part.problems]

    def iter_measures(self) -> list[ParsedMeasure]:
        """All measures in document order."""
        return [m for problem in self.iter_problems() for m in problem.measures]

    def summary_line(self) -> str:
        """``parts: N  problems: N  measures: N  unassigned: N`` (two spaces between fields)."""
        return (
            f"parts: {len(self.parts)}  problems: {self.problem_count}  "
            f"measures: {self.measure_count}  unassigned: {len(self.unassigned)}"
        )

    def stats_mismatches(self) -> list[str]:
        """Human-readable disagreements between what the text states and what was parsed.

        Only statistics the text actually states are checked. Status counts are compared
        with per-item statuses only when the document gives such statuses.
        """
        return _stats_mismatches(self)

    def empty_note(self) -> str | None:
        """The plain statement that no problem was recognised, or ``None`` when the tree has some."""
        return EMPTY_TREE_NOTE if self.problem_count == 0 else None

    def to_json_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (dates as ISO strings) of the whole result."""
        data = asdict(self)
        data["line_roles"] = {str(k): v for k, v in self.line_roles.items()}
        data["counts"] = {
            "parts": len(self.parts),
            "problems": self.problem_count,
            "measures": self.measure_count,
            "unassigned": len(self.unassigned),
        }
        result = _iso_dates(data)
        assert isinstance(result, dict)
        return result


def _iso_dates(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _iso_dates(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_iso_dates(v) for v in value]
    return value


def _status_counts(items: list[ParsedProblem] | list[ParsedMeasure]) -> tuple[int, int, int, int]:
    """(items with any status, completed, in progress, long-term) among ``items``."""
    with_status = done = going = long_term = 0
    for item in items:
        status = item.status_text or ""
        if not status:
            continue
        with_status += 1
        if _LONG_RE.search(status) or (item.long_term and not _DONE_RE.search(status)):
            long_term += 1
        elif _DONE_RE.search(status) and not _GOING_RE.search(status):
            done += 1
        elif _GOING_RE.search(status):
            going += 1
    return with_status, done, going, long_term


def _stats_mismatches(plan: ParsedPlan) -> list[str]:
    stated = plan.stated
    messages: list[str] = []
    if stated.parts is not None and stated.parts != len(plan.parts):
        messages.append(f"文中称 {stated.parts} 个方面，解析得到 {len(plan.parts)} 个")
    if stated.problems is not None and stated.problems != plan.problem_count:
        messages.append(f"文中称 {stated.problems} 个问题，解析得到 {plan.problem_count} 个")
    if stated.measures is not None and stated.measures != plan.measure_count:
        messages.append(f"文中称 {stated.measures} 项整改措施，解析得到 {plan.measure_count} 项")

    totals = {
        "problems": [t for t in (stated.problems, plan.problem_count) if t],
        "measures": [t for t in (stated.measures, plan.measure_count) if t],
    }
    parts_of_total = [stated.completed, stated.in_progress, stated.long_term]
    given = [n for n in parts_of_total if n is not None]
    unit: str | None = None
    if len(given) >= 2:
        sums = {sum(given)}
        if stated.completed is not None and stated.in_progress is not None:
            sums.add(stated.completed + stated.in_progress)
        for key in ("problems", "measures"):
            if any(s in totals[key] for s in sums):
                unit = key
                break
        if unit is None:
            labels = [
                f"{label} {n}"
                for label, n in zip(("已完成", "正在推进", "长期坚持"), parts_of_total, strict=True)
                if n is not None
            ]
            messages.append(
                f"文中称{'、'.join(labels)}，合计 {sum(given)}，"
                f"与 {plan.problem_count} 个问题或 {plan.measure_count} 项措施都对不上"
            )

    for key, label in (("problems", "个问题"), ("measures", "项措施")):
        if unit not in (None, key):
            continue
        items: list[ParsedProblem] | list[ParsedMeasure] = (
            plan.iter_problems() if key == "problems" else plan.iter_measures()
        )
        with_status, done, going, long_term = _status_counts(items)
        if not with_status:
            continue
        for stated_n, parsed_n, word in (
            (stated.completed, done, "已完成"),
            (stated.in_progress, going, "正在推进"),
            (stated.long_term, long_term, "长期坚持"),
        ):
            if stated_n is not None and stated_n != parsed_n:
                messages.append(f"文中称{word} {stated_n} {label}，解析得到 {parsed_n} {label}标为{word}")
        break

    if stated.completion_rate is not None and stated.completed is not None:
        candidates = totals.get(unit, []) if unit else totals["problems"] + totals["measures"]
        rates = [stated.completed * 100.0 / t for t in candidates]
        if rates and all(abs(r - stated.completion_rate) > 1.0 for r in rates):
            total = candidates[0]
            messages.append(
                f"文中称完成率 {stated.completion_rate:g}%，按已完成 {stated.completed} / 共 {total} "
                f"计算为 {rates[0]:.1f}%"
            )
    return messages
