"""The progress report as a Word document, set as GB/T 9704-2012 sets official documents.

The page, the 22 × 28 grid, the page numbers and the font table are ``docx_layout``;
the text follows the standard's typefaces:

* the title 方正小标宋简体 2号 (22 pt), centred, a blank line after it;
* the body 仿宋_GB2312 三号 (16 pt), justified, fixed line spacing of one grid line
  (28.95 pt), the first line indented two characters;
* level-1 headings (一、) 黑体 三号, level-2 (第X部分) 楷体_GB2312 三号, level-3 (1.) 仿宋_GB2312
  三号 bold, indented like the body;
* the signatory (署名) and the date (成文日期) right-aligned after a blank line: the signatory
  two characters in from the right, the date starting two characters right of the signatory's
  first character, or two characters in with the signatory moved left when the date is longer.

Fallback fonts: Word has no per-run fallback list, so every run names the standard's font
(``w:eastAsia`` and the Latin slots alike, theme fonts removed), and the font table names
the alternates a reader without it gets — 黑体 for 方正小标宋简体, 仿宋 for 仿宋_GB2312,
楷体 for 楷体_GB2312 (``docx_layout.ALTERNATE_FONTS``). An application that ignores the
alternates substitutes by the GB2312 character set declared there, as Word does for any
missing font; the document itself never changes its fonts to match the machine that wrote it.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import IO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .docx_layout import (
    BODY_SIZE,
    LINE_PITCH,
    add_page_numbers,
    exact_lines,
    name_alternate_fonts,
    set_fonts,
    set_indent,
    set_page,
)
from .model import Report

__all__ = ["BODY_FONT", "BODY_SIZE", "HEADING_FONTS", "TITLE_FONT", "TITLE_SIZE", "set_fonts", "write_docx"]

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
TITLE_SIZE = Pt(22)  # 2号
# block kind -> (Word style, font, bold)
HEADING_FONTS: dict[str, tuple[str, str, bool]] = {
    "title": ("Title", TITLE_FONT, False),
    "h1": ("Heading 1", "黑体", False),
    "h2": ("Heading 2", "楷体_GB2312", False),
    "h3": ("Heading 3", BODY_FONT, True),
}
_LEVEL = {"title": 0, "h1": 1, "h2": 2, "h3": 3}
_TITLE_EXTRAS = ("w:pBdr", "w:contextualSpacing")  # the template's rule under the title and its spacing rule
_TITLE_RUN_EXTRAS = ("w:spacing", "w:kern")  # letter-spacing and kerning of the template's title


def _styles(document) -> None:  # type: ignore[no-untyped-def]
    normal = document.styles["Normal"]
    set_fonts(normal, BODY_FONT, BODY_SIZE)
    fmt = normal.paragraph_format
    exact_lines(fmt)
    fmt.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    fmt.widow_control = False  # every page holds its 22 lines
    set_indent(fmt, first_chars=2)
    for kind, (name, font, bold) in HEADING_FONTS.items():
        style = document.styles[name]
        set_fonts(style, font, TITLE_SIZE if kind == "title" else BODY_SIZE, bold=bold)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        exact_lines(style.paragraph_format)
        set_indent(style.paragraph_format, first_chars=0 if kind == "title" else 2)
    title = document.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.paragraph_format.space_after = LINE_PITCH  # a blank line under the title
    for parent, tags in ((title.element.get_or_add_pPr(), _TITLE_EXTRAS),
                         (title.element.get_or_add_rPr(), _TITLE_RUN_EXTRAS)):
        for tag in tags:
            for found in parent.findall(qn(tag)):
                parent.remove(found)


def ems(text: str) -> float:
    """``text``'s width in characters of the body: a Chinese character 1, a half-width digit ½."""
    return sum(1 if unicodedata.east_asian_width(ch) in "WF" else 0.5 for ch in text)


def signature_indents(signatory: str, day: str) -> tuple[float, float]:
    """(signatory, date) right indents in characters, GB/T 9704-2012 7.3.5.2: the signatory two
    characters in, the date's first character two right of the signatory's; a longer date is
    two characters in and moves the signatory left."""
    name, date = ems(signatory), ems(day)
    date_right = max(name - date, 2.0)
    return date_right + date + 2 - name, date_right


def write_docx(report: Report, path_or_stream: str | Path | IO[bytes]) -> None:
    """Write the report as .docx: title, headings (一、 level 1, 第X部分 level 2, problems level 3)."""
    document = Document()
    _styles(document)
    section = document.sections[0]
    set_page(section)
    add_page_numbers(document, section)
    name_alternate_fonts(document)
    document.core_properties.title = report.title
    document.core_properties.language = "zh-CN"
    blocks = report.blocks()
    texts = {block.kind: block.text for block in blocks if block.kind in ("sign", "date")}
    sign_right, date_right = signature_indents(texts.get("sign", ""), texts.get("date", ""))
    for block in blocks:
        if block.kind in _LEVEL:
            paragraph = document.add_heading(level=_LEVEL[block.kind])
            _, font, bold = HEADING_FONTS[block.kind]
            set_fonts(paragraph.add_run(block.text), font, bold=bold)
            continue
        paragraph = document.add_paragraph()
        set_fonts(paragraph.add_run(block.text), BODY_FONT)
        if block.kind in ("sign", "date"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            right = sign_right if block.kind == "sign" else date_right
            set_indent(paragraph.paragraph_format, first_chars=0, right_chars=right)
            if block.kind == "sign" or "sign" not in texts:
                paragraph.paragraph_format.space_before = LINE_PITCH  # 正文下空一行
    document.save(path_or_stream)  # type: ignore[arg-type]
