"""The published progress report (整改进展情况公布), built from the ledger.

``build_report`` makes the report model of a round (``model``); the renderers write it as plain
text (readable back by the plan importer), Markdown, HTML and Word (``docx``). Only the names
below are public.
"""

from .docx import write_docx
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
    render_html,
    render_markdown,
    render_text,
)

__all__ = [
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
    "write_docx",
]
