"""The ledger page's downloads: the Excel ledger and the progress report (docx, html, md) of the
current view — the same round, filters and visibility as the page, every page of it.

The workbook is ``ledger.export_ledger`` and the report ``report.build_report`` with its renderers,
each restricted to the view's rows (``ledger_page.view_measure_ids``); a download of the whole
round by supervision is the command line's ``rectiflow ledger --xlsx`` / ``rectiflow report``.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from engine import Actor

from .deadlines import china_date
from .errors import NotFoundError
from .ledger import export_ledger
from .ledger_page import LedgerFilters, view_measure_ids
from .report import build_report, render_html, render_markdown, write_docx

FORMATS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
}


@dataclass(frozen=True)
class Download:
    """A file to send: its bytes, its name and its media type."""

    content: bytes
    filename: str
    mimetype: str


def ledger_download(session: Session, actor: Actor, filters: LedgerFilters, fmt: str, *, now: datetime,
                    window_days: int) -> Download:
    """The view's ledger (``xlsx``) or progress report (``docx``, ``html``, ``md``) as ``actor`` sees it.

    Raises ``NotFoundError`` when there is no such round (or no round at all); ``fmt`` must be one of
    ``FORMATS`` (the caller checks it).
    """
    round_, ids = view_measure_ids(session, actor, filters, now=now, window_days=window_days)
    if round_ is None:
        raise NotFoundError("there is no such inspection round")
    stream = io.BytesIO()
    if fmt == "xlsx":
        export_ledger(session, [round_], stream, now=now, window_days=window_days, measure_ids=ids)
        stem = f"{round_.title}-台账"
    else:
        report = build_report(session, round_, measure_ids=ids, on=round_.report_date or china_date(now))
        if fmt == "docx":
            write_docx(report, stream)
        else:
            text = render_html(report, standalone=True) if fmt == "html" else render_markdown(report)
            stream.write(text.encode("utf-8"))
        stem = f"{round_.title}-整改进展情况"
    day = china_date(now).isoformat()
    return Download(stream.getvalue(), f"{_safe(stem)}-{day}.{fmt}", FORMATS[fmt])


def _safe(name: str) -> str:
    """A file name without path separators or control characters."""
    cleaned = "".join("_" if ch in '/\\:*?"<>|' or ord(ch) < 32 else ch for ch in name).strip(" .")
    return cleaned[:80] or "ledger"
