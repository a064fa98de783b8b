"""The evidence store of this app and the uploads of this request, as the domain takes them.

A task form (``web.tasks``) hands its files to ``workflows.evidence.store_uploads`` like this::

    store_uploads(session, uploads_from(request.files.getlist("evidence")), task=task,
                  measure_id=None, actor=actor, store=evidence_store(), now=clock())
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import BinaryIO, cast

from flask import current_app
from werkzeug.datastructures import FileStorage

from workflows.evidence_store import EvidenceStore, Upload


def evidence_store() -> EvidenceStore:
    """The store configured for the current app (``EVIDENCE_*`` keys in ``web.config``)."""
    config = current_app.config
    return EvidenceStore(
        Path(config["EVIDENCE_DIR"]),
        max_bytes=config["EVIDENCE_MAX_BYTES"],
        allowed=frozenset(config["EVIDENCE_EXTENSIONS"]),
        max_files=config["EVIDENCE_MAX_FILES"],
    )


def uploads_from(files: Iterable[FileStorage]) -> list[Upload]:
    """The files of a multipart form as ``Upload``s; a file input left empty (no name) is skipped."""
    return [
        Upload(filename=item.filename, stream=cast(BinaryIO, item.stream), content_type=item.mimetype or None)
        for item in files
        if item.filename
    ]
