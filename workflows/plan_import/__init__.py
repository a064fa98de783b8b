"""Plan import: a rectification plan or progress report (.txt, .docx) read into a tree, then a round.

``parse_file`` / ``parse_text`` read a document into a ``ParsedPlan`` (parts → problems →
measures, metadata, stated figures, lines the importer could not place) without touching the
database; ``import_plan`` turns a parsed plan into a round and starts the lifecycles;
``fill_in`` completes what the document lacked (deadline, leader, units) on a running plan.

Inside: ``outline`` (headings and lines), ``parser`` (the assembler), ``measures`` (一是/二是,
labelled fields), ``meta`` (group, unit, dates, figures, portal furniture), ``report_date`` (dates
outside the closing block), ``dates`` (deadlines and Chinese dates), ``inline_list`` (problems listed
inside a paragraph), ``rules``/``confidence`` (which rule placed each item, how sure it is), ``tidy``
(after the tree), ``tree`` (the parsed tree), ``docx`` (Word files, bounded), ``xlsx`` (an office's own
Excel ledger), ``text`` (storable text), ``service`` (the database side). Only the names below are public.
"""

from .dates import parse_deadline
from .docx import DEFAULT_MAX_XML_BYTES, DocxRefused, read_docx_text
from .meta import round_kind
from .parser import MAX_FILE_BYTES, PlanImportError, parse_file, parse_text
from .rules import DOUBTFUL_BELOW, RULES
from .service import (
    FillInResult,
    ImportResult,
    fill_in,
    find_or_create_unit,
    find_person,
    import_plan,
    measure_by_number,
    round_title,
    split_units,
)
from .tree import (
    SECTION_KEYS,
    ParsedMeasure,
    ParsedPart,
    ParsedPlan,
    ParsedProblem,
    PlanMeta,
    StatedStats,
    UnassignedLine,
)
from .xlsx import XlsxRefused, has_sheet, read_xlsx_text

__all__ = [
    "XlsxRefused",
    "read_xlsx_text",
    "has_sheet",
    "DOUBTFUL_BELOW",
    "RULES",
    "round_kind",
    "DEFAULT_MAX_XML_BYTES",
    "MAX_FILE_BYTES",
    "SECTION_KEYS",
    "DocxRefused",
    "FillInResult",
    "ImportResult",
    "ParsedMeasure",
    "ParsedPart",
    "ParsedPlan",
    "ParsedProblem",
    "PlanImportError",
    "PlanMeta",
    "StatedStats",
    "UnassignedLine",
    "fill_in",
    "find_or_create_unit",
    "find_person",
    "import_plan",
    "read_docx_text",
    "measure_by_number",
    "parse_deadline",
    "parse_file",
    "parse_text",
    "round_title",
    "split_units",
]
