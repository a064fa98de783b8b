"""The progress report as a Word document, set the way official documents are.

Body text 仿宋_GB2312 at 16 pt (三号) with a two-character first-line indent, headings
黑体, the title centred. Word picks the font for Chinese characters from the
``w:eastAsia`` attribute of ``w:rFonts``; python-docx's ``font.name`` sets only the
Latin ones, so both are set here, and the theme fonts of the heading styles are removed
(they would override the explicit names).
"""

from __future__ import annotations

from pathlib import Path
from typing import IO

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Pt, RGBColor

from .model import Report

BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
BODY_SIZE = Pt(16)
TITLE_SIZE = Pt(22)
_HEADING_LEVEL = {"title": 0, "h1": 1, "h2": 2, "h3": 3}
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(style_or_run, name: str, size: Pt | None = None, *, bold: bool | None = None) -> None:  # type: ignore[no-untyped-def]
    """Set the Latin and East-Asian font (and size, boldness) of a style or a run."""
    font = style_or_run.font
    font.name = name
    if size is not None:
        font.size = size
    if bold is not None:
        font.bold = bold
    rpr = style_or_run.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = OxmlElement("w:rFonts")
        rpr.insert(0, rfonts)
    for attr in _THEME_ATTRS:
        rfonts.attrib.pop(qn(attr), None)
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rfonts.set(qn(attr), name)


def _styles(document) -> None:  # type: ignore[no-untyped-def]
    normal = document.styles["Normal"]
    set_fonts(normal, BODY_FONT, BODY_SIZE)
    normal.paragraph_format.line_spacing = Pt(28)
    for level in range(0, 4):
        style = document.styles["Title" if level == 0 else f"Heading {level}"]
        set_fonts(style, HEADING_FONT, TITLE_SIZE if level == 0 else BODY_SIZE, bold=False)
        style.font.color.rgb = RGBColor(0, 0, 0)
        style.font.italic = False
        style.paragraph_format.space_before = Pt(6)
        style.paragraph_format.space_after = Pt(6)
    title = document.styles["Title"]
    title.paragraph_format.alignment = WD_ALIGN_PARAGRAPH.CENTER
    # the default Title style draws a rule under the text; an official title has none
    ppr = title.element.get_or_add_pPr()
    border = ppr.find(qn("w:pBdr"))
    if border is not None:
        ppr.remove(border)


def write_docx(report: Report, path_or_stream: str | Path | IO[bytes]) -> None:
    """Write the report as .docx: title, headings (一、 level 1, 第X部分 level 2, problems level 3)."""
    document = Document()
    _styles(document)
    document.core_properties.title = report.title
    document.core_properties.language = "zh-CN"
    for block in report.blocks():
        if block.kind in _HEADING_LEVEL:
            paragraph = document.add_heading(level=_HEADING_LEVEL[block.kind])
            run = paragraph.add_run(block.text)
            set_fonts(run, HEADING_FONT)
            continue
        paragraph = document.add_paragraph()
        run = paragraph.add_run(block.text)
        set_fonts(run, BODY_FONT)
        if block.kind in ("sign", "date"):
            paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        else:
            paragraph.paragraph_format.first_line_indent = Pt(32)  # two characters
    document.save(path_or_stream)  # type: ignore[arg-type]
