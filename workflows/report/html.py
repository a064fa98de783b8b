"""The report as HTML, written by a Jinja2 template with its stylesheet in a file of its own.

Two modes, because the page is read in two places:

* ``standalone=True`` (``rectiflow report --format html``): one self-contained file, the
  stylesheet embedded in ``<style>``, so it looks right when opened from disk or mailed on.
  A file opened from disk has no Content-Security-Policy, so the inline style is allowed.
* ``standalone=False``: an ``<article>`` for the web app to place in its own page, linking
  ``STYLESHEET_URL``. The app's policy (``default-src 'self'``) blocks inline styles, and a
  stylesheet served from the site is what it allows.

The look lives with the report (``assets/report.css``, as the Word fonts live in ``docx``),
not in ``web/static``: the standalone export must work from this package alone, without
reaching up into the web layer; the web serves this same file at ``STYLESHEET_URL``.
Its rules are scoped to ``.report`` so the fragment cannot restyle the page around it.

Jinja2 is a plain library (Flask brings it along); nothing here imports Flask. Every piece
of text is escaped by autoescaping.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from .model import Report

ASSETS = Path(__file__).with_name("assets")
STYLESHEET = ASSETS / "report.css"
STYLESHEET_URL = "/static/report.css"

_environment = Environment(
    loader=PackageLoader(__package__ or "workflows.report", "assets"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)


@cache
def stylesheet() -> str:
    """The report's CSS, as served at ``STYLESHEET_URL`` and embedded in standalone pages."""
    return STYLESHEET.read_text(encoding="utf-8")


def render_html(report: Report, *, standalone: bool = True, stylesheet_url: str = STYLESHEET_URL) -> str:
    """The report as HTML (Chinese, ``lang="zh-CN"``); every piece of text is escaped.

    ``standalone``: a complete page with the stylesheet embedded (for a file); otherwise an
    ``<article class="report">`` fragment linking ``stylesheet_url`` (for a page of the app).
    """
    return _environment.get_template("report.html").render(
        report=report,
        blocks=report.blocks(),
        standalone=standalone,
        # Our own file, not user input: marked safe so quotes in font names stay CSS, not entities.
        stylesheet=Markup(stylesheet()) if standalone else "",
        stylesheet_url=stylesheet_url,
    )
