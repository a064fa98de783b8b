"""The published progress report (整改进展情况) as a model, built from the ledger.

The skeleton follows the reports units publish (the seed is one): an opening paragraph,
一、the organisational work, 二、the problem list (第X部分 → N.针对…问题。 → 一是…二是…)
with a statistics sentence, 三、the long-term mechanisms, the invitation to send opinions
with the contact channels, the signatory and the date. A measure whose deadline moved carries
the ledger's note in its parentheses (``（整改时限：2027-05-31；原定2027-03-31，因核实未通过调整）``) and a
reopened problem a line of its own (``整改情况：反弹重启（…）。原因：…``), in the ledger's words
(``ledger.history_text``). The plain-text rendering keeps the seed's line format, so
``plan_import.parse_text`` reads a generated report back into the same tree (the reopening line
is a labelled field the parser keeps apart from the measures). ``Report.blocks`` is the reading
order every renderer follows (``text``, ``markdown``, ``html``, ``docx``); nothing here knows how
a block looks.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from engine import system_clock

from ..deadlines import china_date
from ..ledger import LedgerRow, ledger_rows, reopen_text
from ..models import InspectionRound
from ..models import ProblemStatus as S

CLOSED_STATUSES = {S.CLOSED, S.LOOK_BACK, S.CONSOLIDATED}
DEFAULT_ORGANISATION_HEADING = "提高政治站位，强化组织领导，压实巡察整改主体责任"
DEFAULT_ORGANISATION = (
    "{unit}把抓好巡察整改作为重要政治任务，成立巡察整改工作领导小组，主要负责同志切实履行第一责任人职责，"
    "领导班子成员按照职责分工抓好分管领域的整改落实。对照巡察反馈意见逐条制定整改措施，明确责任领导、"
    "牵头单位、责任单位和整改时限，实行台账化管理、清单式推进，逐项核实、逐项销号，确保件件有着落、事事有回音。"
)
DEFAULT_LIST_HEADING = "聚焦巡察反馈问题，逐条逐项落实巡察整改措施"
DEFAULT_MECHANISM_HEADING = "持续整改落实，巩固深化整改成果，着力构建长效机制"
DEFAULT_MECHANISM = (
    "坚持目标不变、标准不降、力度不减，对已完成的整改任务适时组织“回头看”，防止问题反弹回潮；"
    "对需要长期坚持的事项，强化措施、夯实责任，持续跟踪问效，把解决具体问题与建章立制紧密结合，"
    "确保巡察整改取得长久实效。"
)
REGULATIONS = (
    "根据《中国共产党巡视工作条例》和《中国共产党党内监督条例》有关规定，现将巡察整改进展情况予以公布。"
)
INVITATION = "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。"
_SECTION_HEADING_RE = re.compile(r"^[一二三四五六七八九十]{1,3}\s*[、.．]")
_DEPLOYER_RE = re.compile(r"根据(.{1,30}?)(?:统一)?部署")
_TERMINAL = "。！？!?；;"
# The label of a reopened problem's line: a field the plan importer reads apart from the measures.
REOPEN_LABEL = "整改情况："
_CN_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 -> 一, 10 -> 十, 21 -> 二十一, 105 -> 一百零五 (1 to 9999), as in 第十二部分 and 十一是."""
    if not 1 <= n <= 9999:
        raise ValueError(f"{n} is outside 1..9999")
    if 10 <= n < 20:
        return "十" + (_CN_DIGITS[n - 10] if n > 10 else "")
    out, zero = "", False
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit = n // value % 10
        if digit:
            out += ("零" if zero and out else "") + _CN_DIGITS[digit] + unit
            zero = False
        elif out:
            zero = True
    return out


def chinese_date(day: date) -> str:
    """``2021年10月14日``."""
    return f"{day.year}年{day.month}月{day.day}日"


@dataclass
class ReportMeasure:
    """A measure as published: its text, the progress reported on it and, when its deadline
    moved, the note saying so (``整改时限：…；原定…，因…调整``)."""

    text: str
    progress: str = ""
    deadline_note: str = ""


@dataclass
class ReportProblem:
    """A published problem with its measures and how far it has come; ``reopened`` tells its last
    reopening (``反弹重启（…）。原因：…``), empty if it never went back to rectification."""

    title: str
    status: S
    long_term: bool
    completed: bool
    measures: list[ReportMeasure] = field(default_factory=list)
    reopened: str = ""


@dataclass
class ReportPart:
    """A published part (方面) with its problems."""

    title: str
    problems: list[ReportProblem] = field(default_factory=list)


@dataclass
class ReportStats:
    """Counts over the published problems; ``withheld`` problems are not in any other count."""

    parts: int = 0
    problems: int = 0
    measures: int = 0
    completed: int = 0
    in_progress: int = 0
    long_term: int = 0
    withheld: int = 0

    @property
    def rate(self) -> int:
        """Completed problems as a rounded percentage of the published problems."""
        return round(self.completed * 100 / self.problems) if self.problems else 0


@dataclass
class Block:
    """One line of the report: ``title``, ``h1`` (一、), ``h2`` (第X部分), ``h3`` (problem), ``p``,
    ``note`` (a paragraph about a problem's reopening), ``sign`` or ``date``."""

    kind: str
    text: str


@dataclass
class Report:
    """Everything a progress report says, ready for any renderer."""

    title: str
    opening: str
    organisation_heading: str
    organisation: list[str]
    list_heading: str
    list_intro: list[str]
    parts: list[ReportPart]
    stats: ReportStats
    mechanism_heading: str
    mechanism: list[str]
    closing: str
    signatory: str
    date: date

    @property
    def stats_sentence(self) -> str:
        """``巡察反馈意见共N个方面N个具体问题，制定N项整改措施。截至目前，已完成整改N个，…``."""
        s = self.stats
        text = (
            f"巡察反馈意见共{s.parts}个方面{s.problems}个具体问题，制定{s.measures}项整改措施。"
            f"截至目前，已完成整改{s.completed}个，正在推进{s.in_progress}个，长期坚持{s.long_term}个，"
            f"整改完成率{s.rate}%。"
        )
        if s.withheld:
            text += f"另有{s.withheld}个问题按规定不予公开。"
        return text

    @property
    def long_term_problems(self) -> list[ReportProblem]:
        """Published long-term problems, in document order."""
        return [p for part in self.parts for p in part.problems if p.long_term]

    def blocks(self, measure_separator: str = "；") -> list[Block]:
        """The report as a sequence of lines; ``measure_separator`` ends a measure without a full stop."""
        out = [Block("title", self.title), Block("p", self.opening), Block("h1", self.organisation_heading)]
        out += [Block("p", text) for text in self.organisation]
        out.append(Block("h1", self.list_heading))
        out += [Block("p", text) for text in [*self.list_intro, self.stats_sentence]]
        for i, part in enumerate(self.parts, start=1):
            out.append(Block("h2", f"第{chinese_number(i)}部分 {part.title}"))
            for j, problem in enumerate(part.problems, start=1):
                out.append(Block("h3", f"{j}.针对{problem.title}问题。"))
                out.append(Block("p", measures_paragraph(problem.measures, measure_separator)))
                if problem.reopened:
                    out.append(Block("note", REOPEN_LABEL + problem.reopened))
        out.append(Block("h1", self.mechanism_heading))
        out += [Block("p", text) for text in self.mechanism]
        long_term = self.long_term_problems
        if long_term:
            titles = "、".join(f"“{p.title}”" for p in long_term)
            out.append(Block("p", f"对需要长期坚持整改的{titles}等{len(long_term)}个问题，"
                                  "将持续跟踪推进，定期报告整改进展，确保整改到位。"))
        out.append(Block("p", self.closing))
        if self.signatory:
            out.append(Block("sign", self.signatory))
        out.append(Block("date", chinese_date(self.date)))
        return out


def measures_paragraph(measures: Iterable[ReportMeasure], separator: str = "；") -> str:
    """``一是….二是….`` for several measures, the bare text for one, each with its deadline note
    (when the deadline moved) and its progress in parentheses."""
    items = list(measures)
    pieces = []
    for i, measure in enumerate(items, start=1):
        text = measure.text.strip()
        if measure.deadline_note:
            text = f"{text.rstrip('。')}（{measure.deadline_note}）"
        if measure.progress.strip():
            text = f"{text.rstrip('。')}（整改进展：{measure.progress.strip().rstrip('。')}）"
        if len(items) > 1:
            text = f"{chinese_number(i)}是{text}"
        if not text.endswith(tuple(_TERMINAL)):
            text += "。" if i == len(items) else separator
        pieces.append(text)
    return "".join(pieces)


def build_report(session: Session, round_: InspectionRound, *, on: date | None = None,
                 measure_ids: Collection[int] | None = None) -> Report:
    """The progress report of ``round_`` from its ledger, dated ``on`` (default: the round's report
    date, else today); given ``measure_ids``, of those rows (measures) only — a filtered or
    restricted view of the ledger, whose statistics then count only its problems and measures."""
    rows = ledger_rows(session, round_)
    if measure_ids is not None:
        rows = [row for row in rows if row.measure_id in measure_ids]
    parts, stats = _parts_and_stats(rows)
    unit = round_.inspected_unit.name if round_.inspected_unit else ""
    sections = round_.sections or {}
    organisation_heading, organisation = _section(sections.get("organisation"), "一", DEFAULT_ORGANISATION_HEADING,
                                                  [DEFAULT_ORGANISATION.format(unit=unit or "我们")])
    list_heading, list_intro = _section(sections.get("list_intro"), "二", DEFAULT_LIST_HEADING, [])
    mechanism_heading, mechanism = _section(sections.get("mechanism"), "三", DEFAULT_MECHANISM_HEADING,
                                            [DEFAULT_MECHANISM])
    signatory = round_.signatory or unit
    return Report(
        title=f"{signatory}关于巡察整改进展情况的通报" if signatory else "关于巡察整改进展情况的通报",
        opening=_opening(round_, sections),
        organisation_heading=organisation_heading,
        organisation=organisation,
        list_heading=list_heading,
        list_intro=list_intro,
        parts=parts,
        stats=stats,
        mechanism_heading=mechanism_heading,
        mechanism=mechanism,
        closing=_closing(round_.contacts or {}),
        signatory=signatory,
        date=on or round_.report_date or china_date(system_clock()),
    )


def _parts_and_stats(rows: list[LedgerRow]) -> tuple[list[ReportPart], ReportStats]:
    parts: dict[int, ReportPart] = {}
    problems: dict[int, ReportProblem] = {}
    measure_done: dict[int, list[bool]] = {}
    withheld: set[int] = set()
    for row in rows:
        if not row.publishable:
            withheld.add(row.problem_id)
            continue
        part = parts.setdefault(row.part_ordinal, ReportPart(row.part))
        problem = problems.get(row.problem_id)
        if problem is None:
            problem = ReportProblem(row.problem, row.problem_status, row.long_term, False,
                                    reopened=reopen_text(row.reopen))
            problems[row.problem_id] = problem
            part.problems.append(problem)
        problem.measures.append(ReportMeasure(row.measure, row.progress, row.deadline_note))
        measure_done.setdefault(row.problem_id, []).append(row.status == S.DONE)
    stats = ReportStats(parts=len(parts), problems=len(problems), withheld=len(withheld))
    for problem_id, problem in problems.items():
        stats.measures += len(problem.measures)
        problem.completed = problem.status in CLOSED_STATUSES or all(measure_done[problem_id])
        if problem.completed:
            stats.completed += 1
        elif problem.long_term:
            stats.long_term += 1
        else:
            stats.in_progress += 1
    return list(parts.values()), stats


def _section(lines: object, number: str, default_heading: str, default_body: list[str]) -> tuple[str, list[str]]:
    """(heading numbered ``number``、, paragraphs) from a section kept on the round, else the defaults.

    The document's own numbering is replaced: its 二、下一步工作 may be this report's 三、.
    """
    texts = [str(t).strip() for t in lines if str(t).strip()] if isinstance(lines, list) else []
    heading, body = default_heading, texts or default_body
    if texts and _SECTION_HEADING_RE.match(texts[0]):
        heading, body = _SECTION_HEADING_RE.sub("", texts[0], count=1).strip(), texts[1:]
    return f"{number}、{heading}", body


def _opening(round_: InspectionRound, sections: dict[str, object]) -> str:
    preamble = sections.get("preamble")
    found = _DEPLOYER_RE.search("".join(map(str, preamble))) if isinstance(preamble, list) else None
    deployer = found.group(1) if found else "上级党委"
    group = round_.inspecting_group or "巡察组"
    unit = round_.inspected_unit.name if round_.inspected_unit else "我单位"
    when = ""
    if round_.period_start and round_.period_end:
        end = round_.period_end
        tail = chinese_date(end) if end.year != round_.period_start.year else f"{end.month}月{end.day}日"
        when = f"{chinese_date(round_.period_start)}至{tail}，"
    elif round_.period_start:
        when = f"{chinese_date(round_.period_start)}起，"
    text = f"根据{deployer}统一部署，{when}{group}对{unit}进行了巡察。"
    if round_.feedback_date:
        text += f"{chinese_date(round_.feedback_date)}，{group}向{unit}反馈了巡察意见。"
    return text + REGULATIONS


def _closing(contacts: dict[str, str]) -> str:
    channels = []
    if contacts.get("phone"):
        channels.append(f"电话{contacts['phone']}")
    post = [f"邮政信箱：{contacts['post']}"] if contacts.get("post") else []
    if contacts.get("postcode"):
        post.append(f"邮政编码：{contacts['postcode']}")
    if post:
        channels.append("，".join(post))
    if contacts.get("email"):
        channels.append(f"电子邮箱：{contacts['email']}")
    return INVITATION + (f"联系方式：{'；'.join(channels)}。" if channels else "")
