"""The published report's stylesheet, served at ``/static/report.css`` to anyone.

The report's look lives beside its template in ``workflows/report/assets/``, so the
standalone export (``rectiflow report --format html``) embeds it without reaching up into
the web layer. The web serves that same file at the URL the report fragment links
(``workflows.report.STYLESHEET_URL``): under the Content-Security-Policy
(``default-src 'self'``) a stylesheet from the site is allowed where an inline
``<style>`` is not. It is public like the other static files (``ENDPOINT`` belongs in
``auth.PUBLIC_ENDPOINTS``), because published reports under ``/public/`` link it too.
"""

from __future__ import annotations

from flask import Flask, Response, request

from workflows.report import STYLESHEET_URL, stylesheet

ENDPOINT = "report_stylesheet"


def init_app(app: Flask) -> None:
    """Serve the report stylesheet on ``app``; the URL wins over ``/static/<path>`` (a fixed rule
    sorts before one with a converter)."""
    app.add_url_rule(STYLESHEET_URL, ENDPOINT, _stylesheet)


def _stylesheet() -> Response:
    # From memory (read once), with an ETag so browsers revalidate cheaply and get a 304.
    response = Response(stylesheet(), mimetype="text/css")
    response.add_etag()
    response.make_conditional(request)  # answers 304 in place when the browser's copy is current
    return response
