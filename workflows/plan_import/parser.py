"""Import a rectification plan / progress report (.txt, .docx, .xlsx) into a ``ParsedPlan`` tree.

Pure: no database, no network. The document is split into furniture, title, preamble,
the organisational section(s), the problem list (parts -> problems -> measures), the
long-term-mechanism section(s) and the closing block. The problem list is found by its
content (第X部分 / …方面 groups, 针对…问题 / 关于“…”问题 headings, or labelled fields),
not by its position. Every non-empty line is accounted for in ``ParsedPlan.line_roles``.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

from workflows.plan_import.confidence import assess
from workflows.plan_import.docx import DEFAULT_MAX_XML_BYTES, DocxRefused, read_docx_text
from workflows.plan_import.inline_list import inline_problems
from workflows.plan_import.measures import build_problem, contains_field_label, starts_with_field_label
from workflows.plan_import.meta import detect_closing, detect_title, extract_stats, fill_meta, is_furniture
from workflows.plan_import.outline import (
    Line,
    Node,
    build_outline,
    first_sentence,
    is_part_shaped,
    is_problem_shaped,
    normalise,
    part_title,
    split_lines,
)
from workflows.plan_import.report_date import LABEL_ONLY_RE, fallback_report_date
from workflows.plan_import.text import to_simplified
from workflows.plan_import.tidy import split_off_next_steps
from workflows.plan_import.tree import SECTION_KEYS, ParsedPart, ParsedPlan, UnassignedLine
from workflows.plan_import.xlsx import XlsxRefused, read_xlsx_text

MAX_FILE_BYTES = 2 * 1024 * 1024
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_PART_INTRO = "text between a part heading and its first problem"
_BETWEEN = "section inside the problem list that contains no problems"
# portal and WeChat furniture that the metadata rules do not know: whole short lines only
_FURNITURE_RE = re.compile(
    r"^(?:阅读原文|阅读\s*\d+|在看|点赞|收藏|分享|分享到.*|返回顶部|返回列表|返回上一[级页]|打印本页|关闭窗口|\[?打印\]?|\[?关闭\]?|"
    r"上一篇.*|下一篇.*|(?:微信)?扫一扫.*|责任编辑.*|当前位置.*|首页\s*[>›»].*|字号(?:.*[大中小].*)?)$"
)
# 一、加强组织领导…情况: the work done on leadership and responsibility, told before the problems
_ORGANISATION_RE = re.compile(r"组织|领导|主体责任|责任落实|压实.*责任")
_NO_LIST = "no problem list was recognised in the document"
_LIST_HEADING_RES = [
    re.compile(r"反馈问题|问题清单|整改落实情况|整改情况|整改进展|整改任务"),
    re.compile(r"问题"),
]


class PlanImportError(ValueError):
    """The document cannot be imported; the message is one sentence naming the file."""


def parse_file(path: str | Path, *, docx_max_xml_bytes: int = DEFAULT_MAX_XML_BYTES) -> ParsedPlan:
    """Parse a .txt (UTF-8, with or without BOM, or GB18030), .docx or .xlsx (an office's own ledger) file.

    Raises ``PlanImportError`` for a missing, empty, oversized (> 2 MB), binary or corrupt
    file, a .docx that unpacks to more than ``docx_max_xml_bytes`` or an unsupported suffix.
    A readable document in which no problem is recognised gives an empty tree
    (``ParsedPlan.empty_note()``) with its metadata and stated figures.
    """
    path = Path(path)
    name = path.name
    suffix = path.suffix.lower()
    if suffix not in (".txt", ".docx", ".xlsx"):
        raise PlanImportError(
            f"The file '{name}' has an unsupported type '{suffix or '(none)'}'; "
            "only .txt, .docx and .xlsx can be imported."
        )
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PlanImportError(f"The file '{name}' cannot be read ({exc.strerror or exc}).") from exc
    if size > MAX_FILE_BYTES:
        raise PlanImportError(
            f"The file '{name}' is too large ({size / 1024 / 1024:.1f} MB; the limit is 2 MB)."
        )
    if size == 0:
        raise PlanImportError(f"The file '{name}' is empty.")
    if suffix == ".docx":
        text = _read_docx(path, name, docx_max_xml_bytes)
    elif suffix == ".xlsx":
        try:
            text = read_xlsx_text(path, max_xml_bytes=docx_max_xml_bytes)
        except XlsxRefused as exc:
            raise PlanImportError(f"The file '{name}' {exc}") from None
    else:
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise PlanImportError(f"The file '{name}' cannot be read ({exc.strerror or exc}).") from exc
        text = _decode_text(data, name)
    return parse_text(text, source_name=name)


def _read_docx(path: Path, name: str, max_xml_bytes: int) -> str:
    if not zipfile.is_zipfile(path):
        raise PlanImportError(f"The file '{name}' is not a valid .docx document (it is not a Word/zip file).")
    try:
        return read_docx_text(path, max_xml_bytes=max_xml_bytes)
    except DocxRefused as exc:
        raise PlanImportError(f"The file '{name}' {exc}") from None
    except Exception as exc:  # python-docx raises many types for damaged packages
        raise PlanImportError(f"The file '{name}' is a damaged .docx document and cannot be read.") from exc


def _decode_text(data: bytes, name: str) -> str:
    if b"\x00" in data:
        raise PlanImportError(f"The file '{name}' does not look like text: it contains binary data.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            text = data.decode("gb18030")
        except UnicodeDecodeError as exc:
            raise PlanImportError(
                f"The file '{name}' does not look like text: it is neither UTF-8 nor GB18030."
            ) from exc
    return text


def parse_text(text: str, source_name: str = "<text>") -> ParsedPlan:
    """Parse the text of a plan or progress report into a ``ParsedPlan``.

    Raises ``PlanImportError`` when the text is empty or looks binary; a text without
    recognised problems gives an empty tree.
    """
    label = f"'{source_name}'"
    if not text.strip():
        raise PlanImportError(f"The file {label} is empty.")
    if len(_CONTROL_RE.findall(text[:20000])) > max(8, len(text[:20000]) // 50):
        raise PlanImportError(f"The file {label} does not look like text: it is mostly control characters.")
    return _Assembler(source_name).run(to_simplified(text))  # a report republished in traditional script


def _is_organisation(node: Node) -> bool:
    """A top-level section on leadership and responsibility (一、加强组织领导…), not a problem group."""
    if node.kind != "CN" or node.heading is None:
        return False
    sentence = first_sentence(node.heading.norm_text)
    return "问题" not in sentence and not is_part_shaped(sentence) and _ORGANISATION_RE.search(sentence) is not None


class _Assembler:
    """Places every line of one document into the plan (one instance per parse)."""

    def __init__(self, source_name: str) -> None:
        self.plan = ParsedPlan(source_name=source_name)
        self.parts: set[int] = set()
        self.problem_nodes: set[int] = set()
        self.list_nodes: set[int] = set()
        self.carrier: Node | None = None
        self.weak = False  # the problem list was found only by the heading above it

    def run(self, text: str) -> ParsedPlan:
        plan = self.plan
        content: list[Line] = []
        value_next = False  # "• 成文日期：" with its value on the next line
        for line in split_lines(text):
            if value_next and len(line.norm) <= 60 or is_furniture(line) or (
                    len(line.norm) <= 40 and _FURNITURE_RE.match(line.norm)):
                plan.furniture.append(UnassignedLine(line.no, line.raw, "page furniture"))
                plan.line_roles[line.no] = "furniture"
                value_next = not value_next and LABEL_ONLY_RE.match(line.norm) is not None
            else:
                content.append(line)
                value_next = False
        plan.meta.title, taken = detect_title(content)
        for line in content[:taken]:
            plan.line_roles[line.no] = "title"
        content = content[taken:]
        closing = detect_closing(content)
        tail = {line.no for line in closing.lines}
        for extra in (closing.signatory, closing.date_line):
            if extra is not None:
                tail.add(extra.no)
        body = [line for line in content if line.no not in tail]
        for line in content:
            if line.no in tail:
                self._section("closing", line)
        root = build_outline(body)
        for line in root.body:
            self._section("preamble", line)
        fill_meta(plan.meta, root.body or body[:3], closing)
        plan.meta.report_date = plan.meta.report_date or fallback_report_date(
            plan.meta.title, body, [f.text for f in plan.furniture])
        if not self._plan_structure(root):
            # a readable document without a recognised problem list still yields its metadata and
            # stated figures, and the problems a paragraph lists; its numbered sections are reported
            inline = inline_problems(body)
            used = inline[1] if inline else set()
            if inline:
                plan.parts.append(inline[0])
                plan.line_roles.update(dict.fromkeys(used, "problem"))
            for child in root.children:
                self._unassigned(_NO_LIST, *(line for line in child.iter_lines() if line.no not in used))
        split_off_next_steps(plan)
        # statistics are read outside the problem list, so a part's own "本部分3个问题" is not taken
        # for the whole document's
        outside = [plan.meta.title or ""] + [t for key in SECTION_KEYS for t in plan.sections[key]]
        outside += [u.text for u in plan.unassigned if u.reason == _NO_LIST]  # no list: all is outside
        plan.stated = extract_stats(normalise("\n".join(outside)))
        assess(plan, weak=self.weak)
        return plan

    # --- structure -------------------------------------------------------------------

    def _plan_structure(self, root: Node) -> bool:
        """Place the problem list; False when none was found (nothing below the root is placed)."""
        parts = self._find_parts(root)
        if not parts:
            problems = self._find_problem_nodes(root)
            if not problems:
                parts, problems = self._list_by_heading(root)
                self.weak = bool(parts or problems)
            if problems:
                parts = self._group_problems(root, problems)
            elif not parts:
                return False
        self.parts = {id(p) for p in parts}
        for node in [*parts, *([self.carrier] if self.carrier else [])]:
            walk: Node | None = node
            while walk is not None:
                self.list_nodes.add(id(walk))
                walk = walk.parent
        if self.carrier is root:
            self._carrier(root)
        else:
            self._container(root)
        return True

    def _group_problems(self, root: Node, problems: list[Node]) -> list[Node]:
        """Parts for problems found without part headings: their parents, if several; else none
        (the single parent becomes the carrier of one implicit part)."""
        self.problem_nodes = {id(n) for n in problems}
        parents: list[Node] = []
        for node in problems:
            if node.parent is not None and node.parent not in parents:
                parents.append(node.parent)
        if len(parents) >= 2 and root not in parents:
            return parents
        sole = parents[0] if len(parents) == 1 and parents[0] is not root else None
        if sole is not None and sole.heading and sole.parent is not root and not any(
                p.search(first_sentence(sole.heading.norm_text)) for p in _LIST_HEADING_RES):
            return parents  # the first of several parts under the list heading (the rest cut off)
        self.carrier = max(parents, key=lambda p: sum(1 for n in problems if n.parent is p))
        return []

    def _find_parts(self, root: Node) -> list[Node]:
        parts: list[Node] = []

        def visit(node: Node) -> None:
            shaped = [c for c in node.children if c.heading and is_part_shaped(c.heading.norm_text)]
            strong = [c for c in node.children if c.kind == "DI" or (c in shaped and c.children)]
            for child in node.children:
                if child in strong or (strong and child in shaped):
                    parts.append(child)
                else:
                    visit(child)

        visit(root)
        return parts

    def _find_problem_nodes(self, root: Node) -> list[Node]:
        found: list[Node] = []

        def visit(node: Node) -> None:
            for child in node.children:
                if _is_organisation(child):
                    continue
                if self._problem_signal(child):
                    found.append(child)
                else:
                    visit(child)

        visit(root)
        return found

    def _list_by_heading(self, root: Node) -> tuple[list[Node], list[Node]]:
        """Fallback: a heading that names the problem list (…问题整改落实情况) makes its children
        the problems, or the parts when every child has numbered children of its own."""
        for pattern in _LIST_HEADING_RES:
            for node in root.iter_nodes():
                if node.heading is None or not node.children or _is_organisation(node):
                    continue
                if pattern.search(first_sentence(node.heading.norm_text)):
                    if len(node.children) > 1 and all(c.children for c in node.children):
                        return list(node.children), []
                    return [], list(node.children)
        return [], []

    def _problem_signal(self, node: Node) -> bool:
        if node.heading is None:
            return False
        if node.kind == "U" or id(node) in self.problem_nodes or is_problem_shaped(node.heading.norm_text):
            return True
        if contains_field_label(node.heading.norm_text):
            return True
        return any(starts_with_field_label(line.norm) for line in node.body)

    def _container(self, node: Node) -> None:
        """A node holding the problem list somewhere below it (the document root included)."""
        if node.line is not None:
            self._section("list_intro", node.line)
            for line in node.body:
                self._section("list_intro", line)
        listed = [i for i, c in enumerate(node.children) if id(c) in self.list_nodes]
        for i, child in enumerate(node.children):
            if id(child) in self.parts:
                self._part(child)
            elif child is self.carrier:
                self._carrier(child)
            elif id(child) in self.list_nodes:
                self._container(child)
            elif i < listed[0]:
                self._section("organisation" if node.line is None else "list_intro", *child.iter_lines())
            elif i > listed[-1]:
                self._section("mechanism", *child.iter_lines())
            else:
                self._unassigned(_BETWEEN, *child.iter_lines())

    def _part(self, node: Node) -> None:
        assert node.line is not None and node.heading is not None
        heading = node.heading
        title = part_title(heading.text)
        part = ParsedPart(title=title, heading=node.line.raw, ordinal=len(self.plan.parts) + 1)
        part.source_lines = [node.line.no]
        self.plan.parts.append(part)
        self.plan.line_roles[node.line.no] = "part"
        self._unassigned(_PART_INTRO, *node.body)
        signalled = [c for c in node.children if self._problem_signal(c)]
        problem_kind = (signalled or node.children or [node])[0].kind
        groups: list[list[Node]] = []
        for child in node.children:
            if child.kind == problem_kind or self._problem_signal(child):
                groups.append([child])
            elif groups:
                groups[-1].append(child)
            else:
                self._unassigned(_PART_INTRO, *child.iter_lines())
        for group in groups:
            self._problem(part, group)

    def _carrier(self, node: Node) -> None:
        """The node whose children are problems when the document has no parts."""
        part = ParsedPart(title="", heading="", ordinal=len(self.plan.parts) + 1)
        self.plan.parts.append(part)
        if node.line is not None:
            self._section("list_intro", node.line, *node.body)
        children = node.children
        marks = [i for i, c in enumerate(children) if self._problem_signal(c)]
        groups: list[list[Node]] = []
        for i, child in enumerate(children):
            if i in marks:
                groups.append([child])
            elif i < marks[0]:
                self._section("organisation" if node.line is None else "list_intro", *child.iter_lines())
            elif i > marks[-1]:
                self._section("mechanism", *child.iter_lines())
            else:
                groups[-1].append(child)
        for group in groups:
            self._problem(part, group)

    def _problem(self, part: ParsedPart, group: list[Node]) -> None:
        head = group[0]
        assert head.line is not None and head.heading is not None
        body = list(head.body)
        for child in head.children:
            body.extend(child.iter_lines())
        for extra in group[1:]:
            body.extend(extra.iter_lines())
        problem = build_problem(head.line, head.heading, body, len(part.problems) + 1)
        part.problems.append(problem)
        for no in problem.source_lines:
            self.plan.line_roles[no] = "problem"
        for measure in problem.measures:
            for no in measure.source_lines:
                self.plan.line_roles[no] = "measure"

    # --- bookkeeping -----------------------------------------------------------------

    def _section(self, key: str, *lines: Line) -> None:
        for line in lines:
            self.plan.sections[key].append(line.raw)
            self.plan.line_roles[line.no] = key

    def _unassigned(self, reason: str, *lines: Line) -> None:
        for line in lines:
            self.plan.unassigned.append(UnassignedLine(line.no, line.raw, reason))
            self.plan.line_roles[line.no] = "unassigned"
