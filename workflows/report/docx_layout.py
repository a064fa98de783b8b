"""The page of an official document (GB/T 9704-2012 党政机关公文格式) for the Word report.

* Paper A4, 210 × 297 mm; the type area (版心) 156 × 225 mm with the top margin (天头) 37 mm
  and the left (订口) 28 mm, which leaves 26 mm on the right and 35 mm at the bottom.
* 22 lines of 28 characters of 三号 (16 pt) text: a document grid of lines and characters
  with a line pitch of 225 mm / 22 ≈ 28.95 pt and a character pitch of 156 mm / 28 ≈ 15.79 pt
  (the grid's ``charSpace`` is the difference from 16 pt in 1/4096 pt).
* Page numbers 4号 (14 pt) half-width 宋体 digits between one-character dashes, ``— 1 —``,
  7 mm below the type area; odd pages on the right and even pages on the left, one
  character in from the edge of the type area (the outside margins when printed two-sided).
* Fonts the reader may lack are named with alternates in the font table (``w:altName``,
  ECMA-376 §17.8.3.1: an application that cannot find a font tries each alternate in turn
  before substituting by metrics): 方正小标宋简体 → 黑体, 仿宋_GB2312 → 仿宋 (the name Windows
  has shipped since Vista), 楷体_GB2312 → 楷体, each also under its English name.
"""

from __future__ import annotations

import math

from docx.document import Document as DocumentObject
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.section import Section
from docx.shared import Mm, Pt
from docx.text.paragraph import Paragraph
from lxml import etree

PAGE_WIDTH, PAGE_HEIGHT = Mm(210), Mm(297)
TOP, BOTTOM, LEFT, RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TYPE_WIDTH, TYPE_HEIGHT = Mm(156), Mm(225)
LINES_PER_PAGE, CHARS_PER_LINE = 22, 28
BODY_SIZE = Pt(16)  # 三号
PAGE_NUMBER_SIZE = Pt(14)  # 4号
PAGE_NUMBER_FONT = "宋体"
DASH = "\u2014"  # 一字线
# twips (1/20 pt), rounded down so that 22 lines fit the type area: 579 twips = 28.95 pt
LINE_PITCH = Pt(math.floor(TYPE_HEIGHT.pt / LINES_PER_PAGE * 20) / 20)
# 1/4096 pt added to the 16 pt character pitch, rounded down so that 28 characters fit
CHAR_SPACE = math.floor((TYPE_WIDTH.pt / CHARS_PER_LINE - BODY_SIZE.pt) * 4096)
# the footer's bottom edge: 7 mm below the type area, less the page number's line
FOOTER_DISTANCE = Mm(BOTTOM.mm - 7 - PAGE_NUMBER_SIZE.mm)
ALTERNATE_FONTS = {
    "方正小标宋简体": "黑体,SimHei",
    "仿宋_GB2312": "仿宋,FangSong",
    "楷体_GB2312": "楷体,KaiTi",
    "黑体": "SimHei",
    "宋体": "SimSun",
}
_GB2312_CHARSET = "86"
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def set_fonts(style_or_run, name: str, size: Pt | None = None, *, bold: bool | None = None) -> None:  # type: ignore[no-untyped-def]
    """Set the Latin and East-Asian font (and size, boldness) of a style or a run.

    Word picks the font of Chinese characters from ``w:eastAsia``; python-docx's ``font.name``
    sets only the Latin ones, so all four are set, and theme fonts, which would win over
    the explicit names, are removed.
    """
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


def set_indent(paragraph_format, *, first_chars: float | None = None,  # type: ignore[no-untyped-def]
               right_chars: float | None = None) -> None:
    """Indent in characters (``w:firstLineChars``, ``w:rightChars``, which win over the lengths
    in Word and are inherited from the style one by one), with the 16 pt lengths for readers
    that ignore character units. Only the indents given are set."""
    ind = paragraph_format.element.get_or_add_pPr().get_or_add_ind()
    if first_chars is not None:
        paragraph_format.first_line_indent = Pt(BODY_SIZE.pt * first_chars)
        ind.set(qn("w:firstLineChars"), str(round(first_chars * 100)))
    if right_chars is not None:
        paragraph_format.right_indent = Pt(BODY_SIZE.pt * right_chars)
        ind.set(qn("w:rightChars"), str(round(right_chars * 100)))


def exact_lines(paragraph_format, pitch: Pt = LINE_PITCH) -> None:  # type: ignore[no-untyped-def]
    """Fixed line spacing (固定值) at ``pitch``, no space before or after."""
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = pitch
    paragraph_format.space_before = paragraph_format.space_after = Pt(0)


def set_page(section: Section) -> None:
    """A4 portrait with the GB/T 9704 margins and the 22 × 28 document grid."""
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
    section.top_margin, section.bottom_margin = TOP, BOTTOM
    section.left_margin, section.right_margin = LEFT, RIGHT
    section.gutter = Mm(0)
    section.footer_distance = FOOTER_DISTANCE
    sect_pr = section._sectPr
    grid = sect_pr.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect_pr.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(round(LINE_PITCH.pt * 20)))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))


def add_page_numbers(document: DocumentObject, section: Section) -> None:
    """``— N —`` with a PAGE field: odd pages right, even pages left, one character in."""
    document.settings.odd_and_even_pages_header_footer = True
    _page_number(section.footer.paragraphs[0], WD_ALIGN_PARAGRAPH.RIGHT)
    _page_number(section.even_page_footer.paragraphs[0], WD_ALIGN_PARAGRAPH.LEFT)


def _page_number(paragraph: Paragraph, side: WD_ALIGN_PARAGRAPH) -> None:
    fmt = paragraph.paragraph_format
    paragraph.alignment = side
    exact_lines(fmt, PAGE_NUMBER_SIZE)
    one = Pt(PAGE_NUMBER_SIZE.pt)  # 空一字 of the page number's own size
    set_indent(fmt, first_chars=0)  # not the body's two characters
    fmt.left_indent, fmt.right_indent = (Pt(0), one) if side == WD_ALIGN_PARAGRAPH.RIGHT else (one, Pt(0))
    pieces: list[tuple[str, str]] = [
        ("text", f"{DASH} "), ("begin", ""), ("instr", " PAGE "), ("separate", ""), ("text", "1"),
        ("end", ""), ("text", f" {DASH}"),
    ]
    for kind, text in pieces:
        run = paragraph.add_run(text if kind == "text" else None)
        set_fonts(run, PAGE_NUMBER_FONT, PAGE_NUMBER_SIZE)
        if kind == "instr":
            instr = OxmlElement("w:instrText")
            instr.set(qn("xml:space"), "preserve")
            instr.text = text
            run._r.append(instr)
        elif kind != "text":
            field_char = OxmlElement("w:fldChar")
            field_char.set(qn("w:fldCharType"), kind)
            run._r.append(field_char)


def name_alternate_fonts(document: DocumentObject, alternates: dict[str, str] = ALTERNATE_FONTS) -> None:
    """Declare each font of ``alternates`` in the font table with its alternates (``w:altName``)
    and the GB2312 character set, replacing any entry of the same name."""
    part = document.part.part_related_by(RT.FONT_TABLE)
    fonts = parse_xml(part.blob)
    for name, alternate in alternates.items():
        for old in fonts.findall(qn("w:font")):
            if old.get(qn("w:name")) == name:
                fonts.remove(old)
        font = OxmlElement("w:font")
        font.set(qn("w:name"), name)
        for tag, value in (("w:altName", alternate), ("w:charset", _GB2312_CHARSET),
                           ("w:family", "auto"), ("w:pitch", "variable")):
            child = OxmlElement(tag)
            child.set(qn("w:val"), value)
            font.append(child)
        fonts.append(font)
    # python-docx keeps the font table as an opaque part: its bytes are what gets saved
    part._blob = etree.tostring(fonts, xml_declaration=True, encoding="UTF-8", standalone=True)  # type: ignore[attr-defined]
