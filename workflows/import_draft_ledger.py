"""Ledger drafts: an edited ledger workbook (.xlsx) shown as the changes it would make, then applied.

The upload is validated as ``import-ledger`` validates it (``ledger.importer.read_ledger``, which
writes nothing); the draft keeps the workbook and the diff: per measure, each field's old and new
value, and the rounds a sheet without keys would create. Confirming reads the workbook again and
applies it only if it still makes exactly the changes that were shown; otherwise the preview is
out of date (someone changed the ledger since) and nothing is applied.
"""

from __future__ import annotations

from datetime import date, datetime
from io import BytesIO
from typing import Any

from sqlalchemy.orm import Session

from engine import Actor, WorkflowEngine

from .errors import Message, ValidationError
from .import_drafts import (
    ConfirmResult,
    DraftConflict,
    UploadRefused,
    claim_draft,
    editable_draft,
    refuse_upload,
    require_office,
)
from .ledger import LedgerValidationError, WorkbookLimits, apply_ledger, read_ledger
from .models import DraftKind, DraftStatus, ImportDraft, Measure, Person, Unit

# the fields a ledger import may change, in the order the preview lists them
FIELDS = ("part", "problem", "measure", "deadline", "deadline_text", "leader", "lead_unit", "units")


def create_ledger_draft(session: Session, engine: WorkflowEngine, actor: Actor, name: str, data: bytes, *,
                        at: datetime, limits: WorkbookLimits = WorkbookLimits()) -> ImportDraft:  # noqa: B008
    """Validate an uploaded ledger workbook and keep it, with the changes it would make, as a draft.

    ``UploadRefused`` for an empty file, one that is not a workbook, one with errors in its cells
    (``lines`` lists them) and one that changes nothing.
    """
    require_office(actor)
    if not data:
        raise refuse_upload("empty", "'{name}' is empty", name=name)
    if len(data) > limits.max_bytes:
        raise refuse_upload("too_large", "'{name}' is larger than {limit} MB", name=name,
                            limit=limits.max_bytes // (1024 * 1024))
    diff = _diff(session, engine, name, data, limits)[1]
    if not diff["changes"] and not diff["new_rounds"]:
        raise refuse_upload("no_changes", "'{name}' makes no change to the ledger", name=name)
    draft = ImportDraft(kind=DraftKind.LEDGER, status=DraftStatus.OPEN, source_name=name, lines=[], tree=diff,
                        payload=data, created_by=actor.key, created_at=at)
    session.add(draft)
    session.flush()
    return draft


def confirm_ledger_draft(session: Session, engine: WorkflowEngine, draft_id: int, actor: Actor, *,
                         at: datetime) -> ConfirmResult:
    """Apply the draft's workbook, if it still makes the changes shown, and mark the draft confirmed."""
    draft = editable_draft(session, draft_id, actor, DraftKind.LEDGER)
    data = draft.payload or b""
    try:
        sheets, diff = _diff(session, engine, draft.source_name, data, WorkbookLimits())
    except UploadRefused:
        sheets, diff = [], {}
    if {k: diff.get(k) for k in ("changes", "new_rounds")} != {k: draft.tree.get(k) for k in ("changes", "new_rounds")}:
        raise DraftConflict(Message("imports.error.ledger_moved", "the ledger changed since this preview: "
                                    "cancel it and upload the workbook again"))
    claim_draft(session, draft, at)
    result = apply_ledger(session, engine, sheets, actor=actor, at=at)
    rounds = [*result.updated, *result.created]
    draft.round_id = rounds[0].id if rounds else None
    session.flush()
    return ConfirmResult(draft.round_id or 0, result.launched, result.warnings)


def _diff(session: Session, engine: WorkflowEngine, name: str, data: bytes,
          limits: WorkbookLimits) -> tuple[list[Any], dict[str, Any]]:
    """The validated sheets and the changes they would make (as the draft stores them)."""
    try:
        sheets = read_ledger(session, engine, BytesIO(data), limits=limits)
    except LedgerValidationError as exc:
        raise refuse_upload("ledger_errors", "'{name}' has {count} error(s); nothing was imported",
                            exc.errors, name=name, count=len(exc.errors)) from None
    except ValidationError:
        raise refuse_upload("not_xlsx", "'{name}' is not an Excel (.xlsx) ledger workbook", name=name) from None
    changes: list[dict[str, Any]] = []
    new_rounds: list[dict[str, Any]] = []
    for sheet in sheets:
        if sheet.round_id is None:
            title = str(sheet.meta.get("title") or "").strip() or sheet.heading
            problems = {row.keys.get("problem_id") or (row.part, row.problem) for row in sheet.rows}
            new_rounds.append({"title": title, "parts": len({row.part for row in sheet.rows}),
                               "problems": len(problems), "measures": len(sheet.rows)})
            continue
        for row in sheet.rows:
            measure = session.get(Measure, row.keys["measure_id"])
            assert measure is not None  # checked by read_ledger
            problem = measure.problem
            old = (problem.part.title, problem.title, measure.text, _day(measure.deadline), measure.deadline_text,
                   _name(measure.responsible_leader or problem.responsible_leader),
                   _name(measure.lead_unit or problem.lead_unit), _names(measure.responsible_units))
            new = (row.part, row.problem, row.measure, _day(row.deadline), row.deadline_text, _name(row.leader),
                   _name(row.lead_unit), _names(row.units))
            fields = [{"field": f, "old": o, "new": n} for f, o, n in zip(FIELDS, old, new, strict=True) if o != n]
            if fields:
                changes.append({"round_id": sheet.round_id, "measure_id": measure.id, "fields": fields,
                                "number": f"{problem.part.ordinal}.{problem.ordinal}.{measure.ordinal}",
                                "text": measure.text[:120]})
    counts = {"measures": len(changes), "fields": sum(len(c["fields"]) for c in changes),
              "new_rounds": len(new_rounds)}
    return sheets, {"changes": changes, "new_rounds": new_rounds, "counts": counts}


def _day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _names(units: list[Unit]) -> str:
    """The units' names in a fixed order: listing the same units in another order is no change."""
    return "、".join(sorted(u.name for u in units))


def _name(value: Person | Unit | None) -> str | None:
    return value.name if value is not None else None
