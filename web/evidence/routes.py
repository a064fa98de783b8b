"""Evidence downloads: ``GET /evidence/<id>``, only for those who may see the task.

A file is always sent as an attachment under a safe name (RFC 6266 with a UTF-8
``filename*`` and an ASCII fallback), typed by its checked extension and sandboxed, so
nothing uploaded is ever rendered as a page of this site.
"""

from __future__ import annotations

import logging
import re
from urllib.parse import quote

from flask import Response, send_file

from workflows.evidence import open_evidence
from workflows.evidence_store import content_type_for, extension_of

from ..auth import current_actor
from ..db_session import get_session
from ..errors import error_response
from ..i18n import t
from .blueprint import bp
from .uploads import evidence_store

log = logging.getLogger(__name__)

# A downloaded file must not run as part of this site even if a browser tried to render it.
_DOWNLOAD_CSP = "sandbox; default-src 'none'"


@bp.get("/evidence/<int:evidence_id>")
def download(evidence_id: int) -> Response | tuple[Response, int]:
    """Send one evidence file as an attachment; 404 if it is not there or not visible, 410 if its file is gone."""
    evidence, path = open_evidence(get_session(), evidence_id, current_actor(), store=evidence_store())
    try:
        response = send_file(
            path, mimetype=content_type_for(evidence.filename), as_attachment=True,
            download_name=evidence.filename, etag=evidence.sha256, conditional=True,
        )
    except (FileNotFoundError, IsADirectoryError):
        log.warning("evidence %s: its file %s is missing from the store", evidence.id, path)
        return error_response(410, t("evidence.file_missing", name=evidence.filename))
    response.headers["Content-Disposition"] = content_disposition(evidence.filename, evidence.id)
    response.headers["Content-Security-Policy"] = _DOWNLOAD_CSP
    response.cache_control.private = True  # never kept by a shared cache: evidence is not public
    response.cache_control.public = False
    return response


def content_disposition(filename: str, evidence_id: int) -> str:
    """``attachment`` with an ASCII ``filename`` for old clients and the exact name as ``filename*``."""
    fallback = ascii_fallback(filename, evidence_id)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def ascii_fallback(filename: str, evidence_id: int) -> str:
    """The name for clients without RFC 5987: an ASCII name as it is (quotes, backslashes and the like
    as ``_``); any other name as ``evidence-<id>.<extension>``, since half a name helps no one."""
    extension = extension_of(filename)
    stem = filename[: -len(extension) - 1] if extension else filename
    ascii_stem = re.sub(r"[^A-Za-z0-9._()-]+", "_", stem).strip("._")
    if not stem.isascii() or not re.search(r"[A-Za-z0-9]", ascii_stem):
        ascii_stem = f"evidence-{evidence_id}"
    return f"{ascii_stem}.{extension}" if extension else ascii_stem
