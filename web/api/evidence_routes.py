"""API routes: downloading an evidence file, with the same rule and headers as ``/evidence/<id>``."""

from __future__ import annotations

from flask import Response

from ..evidence.routes import download as download_page
from .core import bp
from .schemas import ApiErrorSchema


@bp.get("/evidence/<int:evidence_id>")
@bp.response(200, description="the file, as an attachment", content_type="application/octet-stream")
@bp.alt_response(401, schema=ApiErrorSchema, description="refused")
@bp.alt_response(404, schema=ApiErrorSchema, description="not there, or not visible to the caller")
@bp.alt_response(410, schema=ApiErrorSchema, description="the file is missing from the store")
def download_evidence(evidence_id: int) -> Response | tuple[Response, int]:
    """One evidence file (佐证材料), for those who may see its task."""
    return download_page(evidence_id)
