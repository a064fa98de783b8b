"""Problems listed inline, the way feedback news and summaries give them.

"反馈了…存在的5类主要问题：一、…；二、…", "问题：A；B；C", "存在的问题：有的…；有的…", or a short
"…主要问题" line over "- " bullets. Tried only when a document has no problem list of headings;
each item becomes a problem without measures, by a weak rule (so it is listed as doubtful).
"""

from __future__ import annotations

import re

from workflows.plan_import.outline import Line
from workflows.plan_import.rules import rated
from workflows.plan_import.tree import ParsedPart, ParsedProblem

# "…问题：" / "主要有：" / "表现为：" with the list after the colon (normalised text)
_INTRO_RE = re.compile(r"(?:问题|主要有|主要是|表现为|表现在)[^:。;]{0,8}:\s*")
_BULLET_INTRO_RE = re.compile(r"^[^:。;,]{0,20}问题\s*:?$")
_BULLET_RE = re.compile(r"^[-•·●▪]\s*")
_ITEM_RE = re.compile(
    r"(?:^|(?<=[;。]))\s*(?:[一二三四五六七八九十]{1,2}(?:是|、)|有的|\([一二三四五六七八九十\d]{1,2}\)|\d{1,2}[、.](?!\d))"
)
_MIN_ITEMS = 2
_MAX_ITEM = 200
_STRIP = " ;；。.,，、"


def inline_problems(lines: list[Line]) -> tuple[ParsedPart, set[int]] | None:
    """One implicit part holding the first inline list of problems in ``lines``, and the line
    numbers it was read from; ``None`` when there is no such list."""
    for i, line in enumerate(lines):
        m = _INTRO_RE.search(line.norm)
        items = _items(line.raw[m.end():], line.norm[m.end():]) if m else []
        used = [line]
        if len(items) < _MIN_ITEMS and _BULLET_INTRO_RE.match(line.norm):
            bullets = []
            for nxt in lines[i + 1:]:
                if not _BULLET_RE.match(nxt.norm):
                    break
                bullets.append(nxt)
            items, used = [_BULLET_RE.sub("", b.raw).strip(_STRIP) for b in bullets], [line, *bullets]
        if len(items) >= _MIN_ITEMS:
            linenos = [u.no for u in used[1:]] if len(used) > 1 else [line.no] * len(items)
            return _part(items, linenos), {u.no for u in used}
    return None


def _items(raw: str, norm: str) -> list[str]:
    marks = list(_ITEM_RE.finditer(norm))
    if len(marks) >= _MIN_ITEMS and marks[0].start() == 0:
        bounds = [*(m.start() for m in marks), len(norm)]
        items = [raw[marks[k].end(): bounds[k + 1]] for k in range(len(marks))]
    else:
        items = re.split(r"[;；]", raw)
        if len(items) < _MIN_ITEMS:
            # "A，B，C": a bare comma list, only when every item is short
            commas = re.split(r"[,，]", raw.split("。")[0])
            items = commas if len(commas) >= 3 and all(len(c) <= 30 for c in commas) else []
    items = [item.split("。")[0].strip(_STRIP) for item in items]
    return [item for item in items if 2 <= len(item) <= _MAX_ITEM]


def _part(items: list[str], linenos: list[int]) -> ParsedPart:
    part = ParsedPart(title="", heading="", ordinal=1)
    part.rule, part.confidence = rated("part-implicit")
    for n, (item, lineno) in enumerate(zip(items, linenos, strict=True), start=1):
        problem = ParsedProblem(title=item, heading=item, ordinal=n, source_lines=[lineno])
        problem.rule, problem.confidence = rated("problem-inline")
        part.problems.append(problem)
    return part
