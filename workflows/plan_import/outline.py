"""Lines, headings and the heading outline of a plan document.

Headings come in several numbering schemes (第X部分, 一、, （一）, 1., （1）, ①) and levels
are not fixed: a scheme's depth is decided by the order in which schemes appear, the
way a reader does it. Matching runs on a normalised copy of each line in which
full-width punctuation is mapped one-to-one onto half-width, so match offsets are
valid in the original text too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from workflows.plan_import.dates import cn_to_int

_FULL = "（）：，；．！？％０１２３４５６７８９\u3000\u00a0"
_HALF = "():,;.!?%0123456789  "
# a chain of str.replace is several times faster than str.translate on CJK text
_PAIRS = list(zip(_FULL, _HALF, strict=True))
_INVISIBLE = ("\ufeff", "\u200b", "\u200c", "\u200d")

_CN = "一二三四五六七八九十"
_HEADING_RES: list[tuple[str, re.Pattern[str]]] = [
    ("DI", re.compile(r"^第([一二三四五六七八九十百零〇两\d]+)部分\s*[:,、.]?\s*")),
    ("CN", re.compile(rf"^([{_CN}]{{1,3}})\s*[、.]\s*")),
    ("PCN", re.compile(rf"^\(([{_CN}]{{1,3}})\)\s*[、.]?\s*")),
    ("PAR", re.compile(r"^\((\d{1,2})\)\s*[、.]?\s*")),
    ("AR", re.compile(r"^(\d{1,3})\s*(?:[、]|\.(?!\d))\s*")),
    ("CIRC", re.compile(r"^([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])\s*")),
]
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"
# 问题一： / 问题1： / 问题（一）: a labelled problem, numbered or not at the start of the line
PROBLEM_LABEL_RE = re.compile(rf"^问题\s*(?:([{_CN}]{{1,3}}|\d{{1,3}})|\(([{_CN}]{{1,3}}|\d{{1,2}})\))\s*[:、.]?\s*")
_INNER_MARK_RE = re.compile(rf"(?:\([{_CN}]{{1,3}}\)|\(\d{{1,2}}\)|\d{{1,3}}(?:、|\.(?!\d))|[{_CIRCLED}])")
_RANK = {"CN": 1, "PCN": 2, "AR": 3, "PAR": 4, "CIRC": 5}

_Q_OPEN = "“\"「『‘'"
_Q_CLOSE = "”\"」』’'"
_PROBLEM_TAIL = r"(?:的)?问题(?:的)?(?:整改(?:落实)?(?:情况|进展)?)?"
_PROBLEM_RES = [
    re.compile(rf"^(?:针对|关于)\s*[{_Q_OPEN}](.+?)[{_Q_CLOSE}]\s*{_PROBLEM_TAIL}$"),
    re.compile(rf"^(?:针对|关于)(.+?){_PROBLEM_TAIL}$"),
]
_PRONOUN_RE = re.compile(r"\s*(?:该|此|这|上述|以上|前述)(?:类|些|个|项|等)?\s*")
_PART_TAIL_RE = re.compile(r"方面(?:存在的|存在|的)?(?:问题)?(?:的)?(?:整改(?:落实)?(?:情况|进展)?)?$")
_SENTENCE_END_RE = re.compile(r"[。:]")
_EXISTING_PROBLEM_RE = re.compile(r"^.{4,}存在的(?:突出|主要)?问题$")
_GROUP_LABEL_RE = re.compile(r"(?:巡察|巡视)?反馈(?:的)?问题\s*:\s*(?=\S)")
_TRAILING_PUNCT = "。.:;,，；：、 "


@dataclass
class Line:
    """One non-empty source line: 1-based number, original text, normalised text."""

    no: int
    raw: str
    norm: str


@dataclass
class Heading:
    """A numbered heading: scheme, number (None when unnumbered) and text after the number."""

    kind: str
    number: int | None
    text: str
    norm_text: str


@dataclass
class Node:
    """A heading with the lines under it (``body``) and its sub-headings (``children``)."""

    line: Line | None
    heading: Heading | None
    parent: Node | None = None
    body: list[Line] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)

    @property
    def kind(self) -> str:
        """The numbering scheme of this heading ("ROOT" for the document)."""
        return self.heading.kind if self.heading else "ROOT"

    def iter_lines(self) -> Iterator[Line]:
        """This node's heading line, body and all descendants' lines in document order."""
        if self.line is not None:
            yield self.line
        yield from self.body
        for child in self.children:
            yield from child.iter_lines()

    def iter_nodes(self) -> Iterator[Node]:
        """This node and all descendants, pre-order."""
        yield self
        for child in self.children:
            yield from child.iter_nodes()


def normalise(text: str) -> str:
    """Map full-width punctuation and digits to half-width, one character for one."""
    for full, half in _PAIRS:
        if full in text:
            text = text.replace(full, half)
    return text


def split_lines(text: str) -> list[Line]:
    """The non-empty lines of ``text`` with their 1-based line numbers."""
    lines: list[Line] = []
    for mark in _INVISIBLE:
        if mark in text:
            text = text.replace(mark, "")
    for no, raw in enumerate(text.splitlines(), start=1):
        raw = raw.strip(" \t\u3000\u00a0")
        if raw:
            lines.append(Line(no, raw, normalise(raw)))
    return lines


def parse_heading(line: Line) -> Heading | None:
    """The numbered heading at the start of ``line``, or ``None``."""
    norm = line.norm
    first = norm[0]
    if first == "问":
        label = PROBLEM_LABEL_RE.match(norm)
        if label is None:
            return None
        token = label.group(1) or label.group(2)
        return Heading("Q", cn_to_int(token), line.raw[label.end():].strip(), norm[label.end():].strip())
    if not (first == "第" or first == "(" or first.isdigit() or first in _CN or first in _CIRCLED):
        return None
    for kind, pattern in _HEADING_RES:
        m = pattern.match(norm)
        if m is None:
            continue
        token = m.group(1)
        number = _CIRCLED.index(token) + 1 if kind == "CIRC" else cn_to_int(token)
        if kind == "CN" and norm[m.end(1):].lstrip().startswith("是"):
            return None
        inner = _INNER_MARK_RE.match(norm, m.end()) if kind != "DI" else None
        if inner is not None:
            # two markers on one line (1.(1)…): the outer one is a vestige of the numbering above,
            # the inner one says where the line sits
            return parse_heading(Line(line.no, line.raw[m.end():].strip(), norm[m.end():].strip()))
        return Heading(kind, number, line.raw[m.end():].strip(), norm[m.end():].strip())
    return None


def first_sentence(norm_text: str) -> str:
    """The text up to the first 。 or colon, without trailing punctuation."""
    m = _SENTENCE_END_RE.search(norm_text)
    head = norm_text[: m.start()] if m else norm_text
    return head.strip(_TRAILING_PUNCT)


def problem_title(norm_statement: str, raw_statement: str) -> str | None:
    """The problem inside ``针对…问题`` / ``关于“…”问题的整改``, or ``None`` if not that shape."""
    for pattern in _PROBLEM_RES:
        m = pattern.match(norm_statement)
        if m and len(m.group(1).strip()) >= 2 and not _PRONOUN_RE.fullmatch(m.group(1)):
            return raw_statement[m.start(1): m.end(1)].strip()
    return None


def is_problem_shaped(norm_text: str) -> bool:
    """True for ``针对…问题`` / ``关于“…”问题…`` headings (judged on the first sentence)."""
    if norm_text.startswith("问题") and PROBLEM_LABEL_RE.match(norm_text):
        return True
    sentence = first_sentence(norm_text)
    if len(sentence) <= 60 and _EXISTING_PROBLEM_RE.search(sentence):
        return True  # "落实…政策存在的问题": a heading with nothing under it (one with problems is a part)
    return len(sentence) <= 80 and problem_title(sentence, sentence) is not None


def is_part_shaped(norm_text: str) -> bool:
    """True for group headings ending in ``方面`` (optionally ``方面存在的问题`` / ``…整改情况``),
    and for ``反馈问题：…`` headings, which group the numbered problems below them."""
    label = _GROUP_LABEL_RE.match(norm_text)
    sentence = first_sentence(norm_text[label.end():] if label else norm_text)
    return len(sentence) <= 60 and (label is not None or _PART_TAIL_RE.search(sentence) is not None)


def part_title(raw_text: str) -> str:
    """``学习贯彻…方面`` from ``学习贯彻…方面存在的问题。`` (numbering already removed)."""
    label = _GROUP_LABEL_RE.match(normalise(raw_text))
    raw_text = raw_text[label.end():] if label else raw_text
    sentence = first_sentence(normalise(raw_text))
    title = raw_text[: len(sentence)]
    m = _PART_TAIL_RE.search(normalise(title))
    if m:
        title = title[: m.start()] + "方面"
    return title.strip()


def unnumbered_problem(line: Line) -> Heading | None:
    """A problem heading without a number, e.g. ``针对清退费用不够彻底问题。``."""
    if not line.norm.startswith(("针对", "关于")):
        return None
    sentence = first_sentence(line.norm)
    if len(sentence) > 60 or problem_title(sentence, sentence) is None:
        return None
    return Heading("U", None, line.raw, line.norm)


def build_outline(lines: list[Line]) -> Node:
    """Nest ``lines`` under their headings.

    A scheme seen for the first time opens a deeper level; a scheme already open closes
    everything below it. Two refinements: an unnumbered problem is a sibling of the
    problem before it, and a list restarting at 1 right under a ``针对…问题`` heading is
    that problem's own list (its measures), not a new sibling.
    """
    root = Node(None, None)
    stack: list[Node] = []
    for line in lines:
        heading = parse_heading(line) or unnumbered_problem(line)
        if heading is None:
            (stack[-1] if stack else root).body.append(line)
            continue
        idx = _open_level(stack, heading)
        if idx is not None:
            del stack[idx:]
        parent = stack[-1] if stack else root
        node = Node(line, heading, parent)
        parent.children.append(node)
        stack.append(node)
    return root


def _open_level(stack: list[Node], heading: Heading) -> int | None:
    """Index in ``stack`` of the open heading that ``heading`` is a sibling of, if any."""
    if heading.kind == "U":
        for i in range(len(stack) - 1, -1, -1):
            if stack[i].kind == "U" or _is_problem_node(stack[i]):
                return i
        return None
    same = [i for i in range(len(stack)) if stack[i].kind == heading.kind]
    if not same:
        # a scheme that is conventionally higher (一、 above （一） above 1. above （1）) closes
        # the lower ones even when it appears for the first time, e.g. 二、下一步工作 after （一）…
        rank = _RANK.get(heading.kind)
        if rank is not None:
            for i, node in enumerate(stack):
                if _RANK.get(node.kind, -1) > rank:
                    return i
        return None
    number = heading.number or 0
    for i in reversed(same):
        if _number(stack[i]) == number - 1:
            return i
    last = same[-1]
    restart = number == 1 and _number(stack[last]) >= 1
    if restart and stack[-1] is stack[last] and _is_problem_node(stack[last]):
        return None  # a list restarting right under a problem heading belongs to that problem
    return last


def _number(node: Node) -> int:
    return (node.heading.number or 0) if node.heading else 0


def _is_problem_node(node: Node) -> bool:
    return node.heading is not None and (node.kind == "Q" or is_problem_shaped(node.heading.norm_text))


# list markers inside a problem's text (its measures), as opposed to heading numbers
_PREV_OK = frozenset(" \t,;。:、)”\"")
_CN_MARKER_RE = re.compile(r"([一二三四五六七八九十]{1,3})是")
_LINE_NUM_RE = re.compile(r"^(?:\((\d{1,2})\)|(\d{1,2})(?:、|\.(?!\d))|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]))\s*")
_INLINE_NUM_RE = re.compile(r"\((\d{1,2})\)|([①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])|(?<=[。;])\s*(\d{1,2})(?:、|\.(?!\d))")
# 第一，…第二，… and 首先…其次…最后…: only a sequence of two or more counts as a list
_ORDINAL_RE = re.compile(r"第([一二三四五六七八九十]{1,3})(?:[,、:]|是)")
_ORDER_WORDS = {"首先": 1, "其次": 2, "再次": 3, "最后": 0}
_ORDER_RE = re.compile(r"(首先|其次|再次|最后)[,、:]?")


@dataclass
class Marker:
    """Where a list item's marker sits: the piece it is in, and its span there."""

    seg: int
    start: int
    end: int


def find_markers(norms: list[str]) -> list[Marker]:
    """The list markers to split at: 一是…, （1）/1./①, 第一…, 首先…, whichever sequence starts first."""
    cn = _sequence(
        (i, m.start(), m.end(), cn_to_int(m.group(1)))
        for i, norm in enumerate(norms)
        for m in cn_markers(norm)
    )
    numbered: list[tuple[int, int, int, int | None]] = []
    for i, norm in enumerate(norms):
        m = _LINE_NUM_RE.match(norm)
        if m:
            numbered.append((i, 0, m.end(), _marker_number(m)))
        for im in _inline_numbers(norm, m.end() if m else 0):
            numbered.append((i, im.start(), im.end(), _marker_number(im)))
    found = [seq for seq in (cn, _sequence(iter(numbered))) if seq]
    for seq in (_ordinal_markers(norms), _order_markers(norms)):
        if len(seq) >= 2:
            found.append(seq)
    return min(found, key=lambda seq: (seq[0].seg, seq[0].start)) if found else []


def _ordinal_markers(norms: list[str]) -> list[Marker]:
    return _sequence(
        (i, m.start(), m.end(), cn_to_int(m.group(1)))
        for i, norm in enumerate(norms) if "第" in norm
        for m in _ORDINAL_RE.finditer(norm)
        if m.start() == 0 or norm[m.start() - 1] in _PREV_OK
    )


def _order_markers(norms: list[str]) -> list[Marker]:
    """首先… 其次… (再次…) 最后…; 最后 closes the list at whatever count it has reached."""
    out: list[Marker] = []
    for i, norm in enumerate(norms):
        for m in _ORDER_RE.finditer(norm):
            if m.start() and norm[m.start() - 1] not in _PREV_OK:
                continue
            number = _ORDER_WORDS[m.group(1)]
            if number == len(out) + 1 or (number == 0 and out):
                out.append(Marker(i, m.start(), m.end()))
            if number == 0 and len(out) > 1:
                return out
    return out


def _marker_number(m: re.Match[str]) -> int | None:
    for token in m.groups():
        if token:
            return _CIRCLED.index(token) + 1 if token in _CIRCLED else int(token)
    return None


def _sequence(candidates: Iterable[tuple[int, int, int, int | None]]) -> list[Marker]:
    """Keep the candidates that continue the numbering 1, 2, 3… in document order."""
    expected = 1
    out: list[Marker] = []
    for seg, start, end, number in candidates:
        if number == expected:
            out.append(Marker(seg, start, end))
            expected += 1
    return out


def starts_item(norm: str) -> bool:
    return _LINE_NUM_RE.match(norm) is not None or _CN_MARKER_RE.match(norm) is not None


def cn_markers(norm: str) -> Iterator[re.Match[str]]:
    """一是/二是… at the start of the text or after punctuation (not 统一是, 其一是)."""
    if "是" not in norm:
        return
    for m in _CN_MARKER_RE.finditer(norm):
        if m.start() == 0 or norm[m.start() - 1] in _PREV_OK:
            yield m


def _inline_numbers(norm: str, pos: int) -> Iterator[re.Match[str]]:
    """(1)/(2)… after punctuation, and circled numbers anywhere, from ``pos`` on."""
    for m in _INLINE_NUM_RE.finditer(norm, pos):
        if m.group(2) or m.start() == 0 or norm[m.start() - 1] in _PREV_OK:
            yield m
