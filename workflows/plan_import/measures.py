"""Turn one problem's heading and the lines under it into a ``ParsedProblem``.

The lines under a problem are cut into labelled fields (整改措施：, 整改时限：, 责任领导：,
牵头单位：, 责任单位：, 整改情况：) and unlabelled text. Measures come from the 整改措施
field (or a 整改情况： field that holds a list) and the unlabelled text, split at 一是/二是…,
（1）/1./①, 第一/第二… or 首先/其次/最后 markers, whichever list starts first; without markers
the whole text is one measure. Unlabelled text before labelled measures, a 问题表现： field
or the statement after a 问题一： label is the problem's finding, not a measure. A status
field on a measure's line, or between two measures, reports on that measure.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from workflows.plan_import.dates import INLINE_DEADLINE_RE, Deadline, parse_deadline
from workflows.plan_import.outline import (
    PROBLEM_LABEL_RE,
    Heading,
    Line,
    Marker,
    cn_markers,
    find_markers,
    is_problem_shaped,
    normalise,
    problem_title,
    starts_item,
)
from workflows.plan_import.rules import rated
from workflows.plan_import.tree import ParsedMeasure, ParsedProblem

_LABELS = {
    "measures": "整改措施|具体措施|主要措施|整改举措",
    "deadline": "整改时限|整改期限|完成时限|完成时间|完成期限|整改时间|时限要求|时限",
    "leader": "责任领导|牵头领导|分管领导|责任人",
    "lead_unit": "牵头单位|牵头部门|牵头科室",
    "units": "责任单位|责任部门|责任科室|配合单位|协办单位|责任主体",
    "status": "整改进展|整改进度|进展情况|完成情况|整改结果|整改成效|落实情况|整改状态",
    # a progress report under these labels is either a status or, when it is a list, the measures
    "report": "整改情况|整改落实情况",
    "finding": "问题表现|存在问题|问题描述|具体表现|主要表现",
    "goal": "整改目标|整改要求",
}
_PROGRESS_WORDS = frozenset(("整改进展", "整改进度", "进展情况"))
_LABEL_OF = {word: name for name, words in _LABELS.items() for word in words.split("|")}
_LABEL_RE = re.compile(
    r"(?<![^\s,;。(、])(?P<label>" + "|".join(sorted(_LABEL_OF, key=len, reverse=True)) + r")\s*:"
)
_GENERIC_TITLE_RE = re.compile(r"(?:反馈)?(?:问题)?(?:的)?(?:整改)?(?:落实)?(?:情况|进展|措施|问题)")
_MULTI_LINE = {"measures", "status", "report", "finding", "goal"}
_STATUS_RE = re.compile(
    r"已完成整改|已整改完成|整改完成|已完成|基本完成|正在整改|正在推进|持续推进|持续整改|整改中|推进中|"
    r"长期坚持|长期整改|未完成|已销号|立行立改"
)
_TRAILING_STATUS_RE = re.compile(
    r"(?:^|[。;(])\s*(?:目前|现)?(?P<s>" + _STATUS_RE.pattern + r")(?:整改)?\s*\)?[。.]?$"
)
_UNIT_SPLIT_RE = re.compile(r"[、,;/\s]+")
_PIECE_STRIP = " ;,、；，"


@dataclass
class Seg:
    """A piece of a source line (a whole line, or what follows a label)."""

    no: int
    raw: str
    norm: str
    label: str = ""  # the status label when this piece reports on the measure before it


def split_heading(line: Line, heading: Heading) -> tuple[str, str, Seg | None, str | None]:
    """Split a problem heading line into (heading text, title, remainder as a segment, finding).

    The statement ends at the first 。 or colon, a field label, or a 一是 marker; whatever
    follows on the same line belongs to the body. After a 问题一： label the statement is the
    finding (what is wrong), kept apart from the measures.
    """
    labelled = heading.kind == "Q"
    label = PROBLEM_LABEL_RE.match(heading.norm_text) if heading.norm_text.startswith("问题") else None
    if label is not None:
        labelled = True
        heading = Heading(heading.kind, heading.number, heading.text[label.end():], heading.norm_text[label.end():])
    offset = len(line.raw) - len(heading.text)
    norm = heading.norm_text
    cuts = [len(norm)]
    for pattern in (r"[。:]", r"\("):
        m = re.search(pattern, norm)
        if m and (pattern != r"\(" or _first_label(norm, m.start())):
            cuts.append(m.end() if m.group(0) == "。" else m.start())
    field = _first_label(norm)
    if field:
        cuts.append(field.start())
    for marker in cn_markers(norm):
        cuts.append(marker.start())
        break
    cut = min(cuts)
    statement_norm = norm[:cut].strip(" 。.:;,")
    statement_raw = heading.text[: len(statement_norm)] if norm.startswith(statement_norm) else heading.text
    title = problem_title(statement_norm, statement_raw) or statement_raw
    rest_raw = heading.text[cut:].lstrip(" 。.:：;；,，(（")
    rest = None
    if rest_raw:
        start = len(heading.text) - len(rest_raw)
        rest = Seg(line.no, rest_raw, norm[start:])
    finding = statement_raw.strip() if labelled and statement_raw.strip() else None
    return line.raw[: offset + cut].rstrip(), title.strip(), rest, finding


def build_problem(line: Line, heading: Heading, body: list[Line], ordinal: int) -> ParsedProblem:
    """Parse one problem: its heading line, the lines beneath it, and its 1-based ordinal."""
    heading_text, title, rest, finding = split_heading(line, heading)
    segs = ([rest] if rest else []) + [Seg(b.no, b.raw, b.norm) for b in body]
    problem = ParsedProblem(title=title, heading=heading_text, ordinal=ordinal)
    problem.source_lines = sorted({line.no, *(b.no for b in body)})

    cut = _cut_all(segs)
    if any(name == "report" for name, _, _ in cut):
        # 整改情况： followed by a list gives the measures, otherwise it is the problem's status
        as_list = not any(name == "measures" for name, _, _ in cut) and find_markers(
            [piece.norm for name, _, piece in cut if name == "report"])
        cut = [("measures" if as_list else "status", w, p) if n == "report" else (n, w, p) for n, w, p in cut]
    first_measure = next((i for i, (name, _, _) in enumerate(cut) if name == "measures"), None)
    items = [i for i, (_, _, piece) in enumerate(cut) if starts_item(piece.norm)]
    item_lines = {cut[i][2].no for i in items}
    fields: dict[str, list[Seg]] = {}
    source: list[Seg] = []
    for i, (name, word, piece) in enumerate(cut):
        if name is None and first_measure is not None and i < first_measure:
            name = "finding"  # the statement of the problem, given before its labelled measures
        if name == "status" and items and (piece.no in item_lines or items[0] <= i < items[-1]):
            source.append(Seg(piece.no, piece.raw, piece.norm, word))  # reports on the measure above
            continue
        if name is not None:
            fields.setdefault(name, []).append(Seg(piece.no, piece.raw, piece.norm, word))
        if name is None or name == "measures":
            source.append(piece)

    _apply_fields(problem, fields)
    if not any(p.norm.strip(_PIECE_STRIP + "。") for p in source) and problem.progress_text:
        source, problem.progress_text = [Seg(p.no, p.raw, p.norm) for p in fields["status"]], None
    problem.intro.extend(p.raw for p in fields.get("goal", []) if p.raw.strip())
    stated = [p.raw.strip(_PIECE_STRIP) for p in fields.get("finding", []) if p.raw.strip(_PIECE_STRIP)]
    if stated and _GENERIC_TITLE_RE.fullmatch(normalise(title)):
        # "二、整改情况" over "问题描述：污水处理设施未启用。": the field names the problem
        problem.title = title = re.split(r"[。;；]", stated[0], maxsplit=1)[0]
    elif finding is None and first_measure is not None and not is_problem_shaped(heading.norm_text):
        finding = title or None  # a plain statement heading over labelled measures states the problem
    problem.finding = "\n".join(filter(None, [finding, *stated])) or None
    intro, measures = split_measures(source)
    problem.intro.extend(intro)
    problem.measures = measures
    _inherit(problem)
    return problem


def _cut_all(segs: list[Seg]) -> list[tuple[str | None, str, Seg]]:
    """(field, label word, piece) for every piece; a multi-line field runs on until the next label,
    except that a new list item ends a status, finding or goal paragraph."""
    out: list[tuple[str | None, str, Seg]] = []
    open_field, open_word = None, ""
    for seg in segs:
        if open_field in ("status", "finding", "goal") and starts_item(seg.norm):
            open_field = None
        for name, word, piece in _cut_labels(seg):
            if name is None and open_field in _MULTI_LINE and open_field != "measures":
                name, word = open_field, open_word
            elif name is not None:
                open_field, open_word = name, word
            out.append((name, word, piece))
    return out


def _cut_labels(seg: Seg) -> list[tuple[str | None, str, Seg]]:
    """Split ``seg`` at field labels that are not inside parentheses: (field, label word, piece)."""
    matches = [m for m in _labels(seg.norm) if _depth(seg.norm, m.start()) == 0]
    if not matches:
        return [(None, "", seg)]
    out: list[tuple[str | None, str, Seg]] = []
    if seg.norm[: matches[0].start()].strip(_PIECE_STRIP + "。"):
        out.append((None, "", _sub(seg, 0, matches[0].start())))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(seg.norm)
        name = _LABEL_OF[m.group("label")]
        # a goal is kept as intro text, so it keeps its label
        out.append((name, m.group("label"), _sub(seg, m.start() if name == "goal" else m.end(), end)))
    return out


def _depth(text: str, pos: int) -> int:
    prefix = text[:pos]
    return max(0, prefix.count("(") - prefix.count(")"))


def _sub(seg: Seg, start: int, end: int) -> Seg:
    raw = seg.raw[start:end]
    lead = len(raw) - len(raw.lstrip())
    return Seg(seg.no, raw.strip(), seg.norm[start + lead: start + lead + len(raw.strip())])


def _value(pieces: list[Seg]) -> str:
    return "".join(p.raw for p in pieces).strip().rstrip("。.;；,，)）")


def _apply_fields(problem: ParsedProblem, fields: dict[str, list[Seg]]) -> None:
    if fields.get("deadline"):
        deadline = parse_deadline(_value(fields["deadline"][:1]))
        problem.deadline_text, problem.deadline = deadline.text, deadline.due
        problem.long_term = deadline.long_term
    if fields.get("leader"):
        problem.responsible_leader = _value(fields["leader"][:1]) or None
    if fields.get("lead_unit"):
        problem.lead_unit = _value(fields["lead_unit"][:1]) or None
    for piece in fields.get("units", []):
        problem.responsible_units.extend(u for u in _UNIT_SPLIT_RE.split(_value([piece])) if u)
    by_word: dict[str, list[str]] = {}
    for piece in fields.get("status", []):
        by_word.setdefault(piece.label, []).append(piece.raw)
    for word, texts in by_word.items():
        value = "\n".join(texts).strip()
        status, long_value = _status_of(value)
        problem.status_text = problem.status_text or status
        if long_value or (word in _PROGRESS_WORDS and value):
            problem.progress_text = "\n".join(filter(None, [problem.progress_text, value]))
    if problem.status_text and "长期" in problem.status_text:
        problem.long_term = True


def _status_of(value: str) -> tuple[str | None, bool]:
    """(status phrase, whether the value is a longer progress text)."""
    short = value.rstrip("。.;；")
    if len(short) <= 20:
        return short or None, False
    m = _STATUS_RE.search(re.split(r"[。;；]", value, maxsplit=1)[0])
    return (m.group(0) if m else None), True


def split_measures(segs: list[Seg]) -> tuple[list[str], list[ParsedMeasure]]:
    """(intro texts, measures) from the measure source segments."""
    segs = [s for s in segs if s.norm.strip(_PIECE_STRIP + "。")]
    if not segs:
        return [], []
    markers = find_markers(["" if s.label else s.norm for s in segs])
    if not markers:
        plain = [s for s in segs if not s.label]
        text = "\n".join(s.raw.strip(_PIECE_STRIP) for s in plain)
        whole = _measure(text, 1, [s.no for s in segs], [s for s in segs if s.label])
        whole.rule, whole.confidence = rated("measure-paragraph")
        return [], [whole]
    intro: list[str] = []
    pieces: list[list[tuple[int, str]]] = []
    reports: dict[int, list[Seg]] = {}
    by_seg: dict[int, list[Marker]] = {}
    for marker in markers:
        by_seg.setdefault(marker.seg, []).append(marker)
    for i, seg in enumerate(segs):
        if seg.label:
            if pieces:
                reports.setdefault(len(pieces) - 1, []).append(seg)
            else:
                intro.append(f"{seg.label}：{seg.raw}")
            continue
        cuts = by_seg.get(i, [])
        head_end = cuts[0].start if cuts else len(seg.raw)
        head = seg.raw[:head_end].strip(_PIECE_STRIP)
        if head and pieces:
            pieces[-1].append((seg.no, head))
        elif head:
            intro.append(head)
        for j, marker in enumerate(cuts):
            end = cuts[j + 1].start if j + 1 < len(cuts) else len(seg.raw)
            pieces.append([(seg.no, seg.raw[marker.end: end].strip(_PIECE_STRIP + ":："))])
    measures = [
        _measure("\n".join(t for _, t in piece if t), n, [no for no, _ in piece], reports.get(n - 1, []))
        for n, piece in enumerate(pieces, start=1)
    ]
    for measure in measures:
        measure.rule, measure.confidence = rated("measure-marker")
    return intro, measures


def _measure(text: str, ordinal: int, linenos: list[int], reports: list[Seg]) -> ParsedMeasure:
    measure = ParsedMeasure(text=text, ordinal=ordinal, source_lines=sorted({*linenos, *(r.no for r in reports)}))
    for report in reports:
        value = report.raw.strip()
        status, long_value = _status_of(value)
        if report.label in _PROGRESS_WORDS or long_value:
            measure.progress_text = "\n".join(filter(None, [measure.progress_text, value]))
            if long_value:
                measure.status_text = measure.status_text or status
        else:
            measure.status_text = status
    norm = normalise(text)
    for m in _labels(norm):
        segment = re.split(r"[;。)]|\s(?=\S+:)", norm[m.end():], maxsplit=1)[0]
        lead = len(segment) - len(segment.lstrip(" ,"))
        value = text[m.end() + lead: m.end() + lead + len(segment.strip(" ,"))]
        name = _LABEL_OF[m.group("label")]
        if not value:
            continue
        if name == "deadline" and measure.deadline_text is None:
            _set_deadline(measure, parse_deadline(value))
        elif name == "leader" and measure.responsible_leader is None:
            measure.responsible_leader = value
        elif name == "lead_unit" and measure.lead_unit is None:
            measure.lead_unit = value
        elif name == "units":
            measure.responsible_units.extend(u for u in _UNIT_SPLIT_RE.split(value) if u)
        elif name == "status" and measure.status_text is None:
            measure.status_text = _status_of(value)[0]
    if measure.deadline_text is None:
        inline = INLINE_DEADLINE_RE.search(norm) if "前" in norm else None
        if inline:
            _set_deadline(measure, parse_deadline(inline.group(0)))
        elif "(长期" in norm and re.search(r"\(长期坚持\)|\(长期\)", norm):
            _set_deadline(measure, Deadline("长期坚持", None, True))
    if measure.status_text is None:
        trailing = _TRAILING_STATUS_RE.search(norm.rstrip()[-40:])
        if trailing:
            measure.status_text = trailing.group("s")
    if measure.status_text and "长期" in measure.status_text:
        measure.long_term = True
    return measure


def _set_deadline(measure: ParsedMeasure, deadline: Deadline) -> None:
    measure.deadline_text, measure.deadline = deadline.text, deadline.due
    measure.long_term = measure.long_term or deadline.long_term


def _inherit(problem: ParsedProblem) -> None:
    """Measures without their own deadline, owners or status take the problem's."""
    for m in problem.measures:
        if m.deadline_text is None and problem.deadline_text is not None:
            m.deadline_text, m.deadline = problem.deadline_text, problem.deadline
            m.long_term = m.long_term or problem.long_term
        elif m.deadline_text is None and problem.long_term:
            m.long_term = True
        m.responsible_leader = m.responsible_leader or problem.responsible_leader
        m.lead_unit = m.lead_unit or problem.lead_unit
        m.responsible_units = m.responsible_units or list(problem.responsible_units)
        m.status_text = m.status_text or problem.status_text
        if m.status_text and "长期" in m.status_text:
            m.long_term = True
    if problem.measures and all(m.long_term for m in problem.measures):
        problem.long_term = True


def starts_with_field_label(norm: str) -> bool:
    """True when a normalised line starts with a problem field label (整改措施：, 责任单位：…)."""
    m = _LABEL_RE.match(norm) if ":" in norm else None
    return m is not None and _LABEL_OF[m.group("label")] != "goal"


def contains_field_label(norm: str) -> bool:
    """True when a normalised text contains a field label anywhere (e.g. in a heading's brackets)."""
    return any(_LABEL_OF[m.group("label")] != "goal" for m in _labels(norm))


def _labels(norm: str) -> Iterator[re.Match[str]]:
    """Field labels in ``norm``; every label ends in a colon, so a text without one has none."""
    return _LABEL_RE.finditer(norm) if ":" in norm else iter(())


def _first_label(norm: str, pos: int = 0) -> re.Match[str] | None:
    return _LABEL_RE.search(norm, pos) if ":" in norm else None

