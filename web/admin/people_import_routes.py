"""Admin routes: bulk import of people from the command line's sheet (``rectiflow people import``).

Two steps, without anything kept on the server in between: the upload is checked
(``check_people_sheet``, which writes nothing) and the page shows what would change, carrying the
file in a hidden field; confirming posts it back, and it is checked again and imported all or
nothing (``apply_people_import``, audited per person and unit). A sheet with bad rows lists every
one of them with 422 and imports nothing. New people's generated passwords are shown once.
"""

from __future__ import annotations

import base64
import binascii
import tempfile
from pathlib import Path
from typing import Any

from flask import render_template, request
from sqlalchemy.exc import IntegrityError
from werkzeug.utils import secure_filename

from workflows.errors import DomainError
from workflows.people_import import PeopleImportError, apply_people_import, check_people_sheet
from workflows.people_sheet import COLUMNS, MAX_CSV_BYTES, read_people_sheet

from ..auth import current_person
from ..db_session import get_session
from ..i18n import error_text, t
from ..services import services
from .access import admin_required
from .blueprint import bp

SUFFIXES = (".csv", ".xlsx", ".xlsm")
MAX_SHEET_BYTES = 2 * MAX_CSV_BYTES  # the workbook limit of people_sheet.LIMITS


@bp.get("/people/import")
@admin_required
def people_import() -> str:
    """The upload form, with the sheet's columns."""
    return _page()


@bp.post("/people/import")
@admin_required
def people_import_post() -> Any:
    """``step=check``: show what the sheet would change; ``step=apply``: import it (all or nothing)."""
    add_units = request.form.get("add_units") == "1"
    name, data = _uploaded()
    if not data:
        return _page(error=t("admin.import.no_file"), add_units=add_units), 422
    session = get_session()
    try:
        rows = _read(name, data)
        plan = check_people_sheet(session, rows, add_units=add_units)
        if request.form.get("step") != "apply":
            return _page(plan=plan, name=name, data=base64.b64encode(data).decode("ascii"), add_units=add_units)
        result = apply_people_import(session, plan, actor=current_person().login,
                                     at=services().workflow_engine.clock())
    except PeopleImportError as refused:
        return _page(error=t("admin.import.bad_rows", count=len(refused.errors), name=name),
                     row_errors=refused.errors, add_units=add_units), 422
    except DomainError as refused:
        return _page(error=error_text(refused), add_units=add_units), 422
    except IntegrityError:  # a login or unit of the sheet was added by someone else meanwhile
        session.rollback()
        return _page(error=t("admin.race"), add_units=add_units), 409
    return _page(result=result, name=name)


def _uploaded() -> tuple[str, bytes]:
    """The file's name and bytes: a fresh upload, or the one the check page carried back."""
    upload = request.files.get("file")
    if upload is not None and upload.filename:
        return upload.filename, upload.read(MAX_SHEET_BYTES + 1)
    carried = request.form.get("data", "")
    try:
        return request.form.get("name", ""), base64.b64decode(carried, validate=True)
    except (binascii.Error, ValueError):
        return "", b""


def _read(name: str, data: bytes) -> Any:
    """The sheet's rows, read by the same code as the command line (from a private temporary file)."""
    suffix = Path(name).suffix.lower()
    if suffix not in SUFFIXES:
        raise DomainError(t("admin.import.bad_type", name=name))
    if len(data) > MAX_SHEET_BYTES:
        raise DomainError(t("admin.import.too_big", name=name))
    safe = secure_filename(name) or f"people{suffix}"
    if not safe.lower().endswith(suffix):
        safe = f"people{suffix}"
    with tempfile.TemporaryDirectory(prefix="rectiflow-people-") as folder:
        path = Path(folder) / safe
        path.write_bytes(data)
        return read_people_sheet(path)


def _page(**shown: Any) -> str:
    shown.setdefault("add_units", False)
    return render_template("admin/people_import.html", columns=COLUMNS, **shown)
