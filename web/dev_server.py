"""The built-in web server's request handler: a ``Server`` header that names no versions.

Werkzeug's development server answers every request with
``Server: Werkzeug/<version> Python/<version>``, telling an attacker exactly which
known flaws to try. The header comes from the request handler
(``BaseHTTPRequestHandler.version_string``), not from the WSGI response, so no
``after_request`` hook can remove it; ``rectiflow serve`` runs the app with this
handler instead. (gunicorn sends ``Server: gunicorn`` without a version.)
"""

from __future__ import annotations

from werkzeug.serving import WSGIRequestHandler

SERVER_NAME = "Rectiflow"


class RequestHandler(WSGIRequestHandler):
    """Werkzeug's handler, with ``Server: Rectiflow`` instead of the Werkzeug and Python versions."""

    def version_string(self) -> str:
        """The ``Server`` header's value."""
        return SERVER_NAME
