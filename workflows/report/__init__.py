"""The published progress report (整改进展情况公布), built from the ledger.

``build_report`` makes the report model of a round (``model``); the renderers write it as plain
text (``text``, readable back by the plan importer), Markdown (``markdown``), HTML (``html``, a
Jinja2 template with its stylesheet in ``assets/``) and Word (``docx``). Only the names below
are public.
"""

from .docx import write_docx
from .html import STYLESHEET, STYLESHEET_URL, render_html, stylesheet
from .markdown import render_markdown
from .model import (
    Report,
    ReportMeasure,
    ReportPart,
    ReportProblem,
    ReportStats,
    build_report,
    chinese_date,
    chinese_number,
    measures_paragraph,
)
from .text import render_text

__all__ = [
    "STYLESHEET",
    "STYLESHEET_URL",
    "Report",
    "ReportMeasure",
    "ReportPart",
    "ReportProblem",
    "ReportStats",
    "build_report",
    "chinese_date",
    "chinese_number",
    "measures_paragraph",
    "render_html",
    "render_markdown",
    "render_text",
    "stylesheet",
    "write_docx",
]
