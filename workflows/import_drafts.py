"""Import drafts: an uploaded plan (.txt/.docx) or ledger workbook (.xlsx) held for review.

An upload writes one ``ImportDraft`` and nothing else. A plan draft keeps the parsed tree (JSON)
and the source lines; corrections (``workflows.import_draft_edits``) rewrite the tree; confirming
creates the round and starts its lifecycles (``plan_import.import_plan``) and marks the draft
confirmed, in the caller's transaction; cancelling deletes it. Ledger drafts are in
``workflows.import_draft_ledger``. Only supervision and administrators work with drafts; every
function takes the actor and only flushes.
"""

from __future__ import annotations

import tempfile
import unicodedata
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from io import BytesIO
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import Actor, ConflictError, NotAllowed, WorkflowEngine

from .errors import Message, NotFoundError, ValidationError
from .import_draft_edits import empty_problems, refused, renumber
from .import_draft_tree import plan_from_json, plan_to_json, revision_of
from .ledger import META_SHEET
from .models import DraftKind, DraftStatus, ImportDraft, Role
from .plan_import import (
    MAX_FILE_BYTES,
    DocxRefused,
    ParsedPlan,
    PlanImportError,
    XlsxRefused,
    has_sheet,
    import_plan,
    parse_text,
    read_docx_text,
    read_xlsx_text,
)
from .plans import MAX_SOURCE_NAME
from .text_checks import check_text

PLAN_SUFFIXES = (".txt", ".docx")
LEDGER_SUFFIXES = (".xlsx",)
OFFICE_ROLES = frozenset({Role.SUPERVISION.value, Role.ADMIN.value})
SHOWN_LINES = 200  # of a document in which nothing was recognised


class UploadRefused(ValidationError):
    """An upload that cannot become a draft; ``lines`` is what could be read of it (may be empty)."""

    def __init__(self, message: Message, lines: list[str] | None = None) -> None:
        super().__init__(message)
        self.lines = list(lines or [])


class DraftConflict(ConflictError):
    """The draft moved on (confirmed, or changed in another window): a 409 with a keyed message."""

    def __init__(self, message: Message) -> None:
        self.message = message
        super().__init__(str(message))


@dataclass
class ConfirmResult:
    """What a confirmation made: the round (created or updated), lifecycles started, caveats."""

    round_id: int
    launched: int = 0
    warnings: list[str] = field(default_factory=list)


def refuse_upload(key: str, default: str, lines: list[str] | None = None, **params: object) -> UploadRefused:
    """An ``UploadRefused`` with the keyed message ``imports.error.<key>``."""
    return UploadRefused(Message(f"imports.error.{key}", default, params), lines)


def require_office(actor: Actor) -> None:
    """``NotAllowed`` unless the actor is supervision or an administrator."""
    if not actor.groups & OFFICE_ROLES:
        raise NotAllowed("only supervision and administrators may import plans")


def upload_kind(name: str, data: bytes = b"") -> DraftKind:
    """The kind of draft a file makes, or ``UploadRefused`` for another type.

    A workbook is a ledger when it is Rectiflow's own (it carries the ``_meta`` sheet the export
    writes); an office's own Excel ledger is read as a plan, like a Word one.
    """
    suffix = Path(name).suffix.lower()
    if suffix in PLAN_SUFFIXES:
        return DraftKind.PLAN
    if suffix in LEDGER_SUFFIXES:
        return DraftKind.LEDGER if not data or has_sheet(data, META_SHEET) else DraftKind.PLAN
    raise refuse_upload("suffix", "'{name}' is not a .docx, .txt or .xlsx file", name=name)


def read_plan_text(name: str, data: bytes, *, docx_max_xml_bytes: int) -> str:
    """The text of an uploaded plan, or ``UploadRefused`` (empty, too large, binary, not a Word file)."""
    if not data:
        raise refuse_upload("empty", "'{name}' is empty", name=name)
    if len(data) > MAX_FILE_BYTES:
        raise refuse_upload("too_large", "'{name}' is larger than {limit} MB", name=name,
                            limit=MAX_FILE_BYTES // (1024 * 1024))
    if name.lower().endswith(".docx"):
        return _docx_text(name, data, docx_max_xml_bytes)
    if name.lower().endswith(".xlsx"):
        return _xlsx_text(name, data, docx_max_xml_bytes)
    if b"\x00" in data:
        raise refuse_upload("binary", "'{name}' is not a text file", name=name)
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise refuse_upload("binary", "'{name}' is not a text file", name=name)
    sample = text[:20_000]
    controls = sum(1 for ch in sample if ch == "\ufffd" or (unicodedata.category(ch) == "Cc" and ch not in "\t\n\r"))
    if controls > max(8, len(sample) // 50):
        raise refuse_upload("binary", "'{name}' is not a text file", name=name)
    return text


def _xlsx_text(name: str, data: bytes, max_xml_bytes: int) -> str:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.xlsx"
        path.write_bytes(data)
        try:
            return read_xlsx_text(path, max_xml_bytes=max_xml_bytes)
        except XlsxRefused:
            raise refuse_upload("not_xlsx", "'{name}' is not a readable Excel (.xlsx) workbook", name=name) from None


def _docx_text(name: str, data: bytes, max_xml_bytes: int) -> str:
    if not zipfile.is_zipfile(BytesIO(data)):
        raise refuse_upload("not_docx", "'{name}' is not a Word (.docx) document", name=name)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.docx"
        path.write_bytes(data)
        try:
            return read_docx_text(path, max_xml_bytes=max_xml_bytes)
        except DocxRefused:
            raise refuse_upload("not_docx", "'{name}' is not a Word (.docx) document", name=name) from None
        except Exception:  # python-docx raises many types for damaged packages
            raise refuse_upload("not_docx", "'{name}' is not a Word (.docx) document", name=name) from None


def create_plan_draft(session: Session, actor: Actor, name: str, data: bytes, *, at: datetime,
                      docx_max_xml_bytes: int) -> ImportDraft:
    """Parse an uploaded plan or progress report and keep it as an open draft (the only write).

    ``UploadRefused`` for a file that cannot be read. A readable document in which no problem is
    recognised is kept as a draft with an empty tree (its metadata and stated figures were read).
    """
    require_office(actor)
    name = _file_name(name)
    text = read_plan_text(name, data, docx_max_xml_bytes=docx_max_xml_bytes)
    lines = text.splitlines()
    if not text.strip():
        raise refuse_upload("empty", "'{name}' is empty", name=name)
    try:
        parsed = parse_text(text, source_name=name)
    except PlanImportError:  # only text that is not readable at all (e.g. control characters)
        raise refuse_upload("nothing_found", "no problems were found in '{name}'",
                            [line for line in lines if line.strip()][:SHOWN_LINES], name=name) from None
    draft = ImportDraft(kind=DraftKind.PLAN, status=DraftStatus.OPEN, source_name=name, lines=lines,
                        tree=plan_to_json(parsed), created_by=actor.key, created_at=at)
    session.add(draft)
    session.flush()
    return draft


def _file_name(name: str) -> str:
    name = Path(name.replace("\\", "/")).name.strip() or "upload.txt"
    check_text(name, "the file name")
    return name[-MAX_SOURCE_NAME:] if len(name) > MAX_SOURCE_NAME else name


def open_drafts(session: Session, actor: Actor) -> list[ImportDraft]:
    """The actor's open drafts, newest first."""
    require_office(actor)
    query = (select(ImportDraft).where(ImportDraft.created_by == actor.key, ImportDraft.status == DraftStatus.OPEN)
             .order_by(ImportDraft.id.desc()))
    return list(session.scalars(query))


def draft_for(session: Session, draft_id: int, actor: Actor, *, lock: bool = False) -> ImportDraft:
    """The draft (any supervision or administrator's), or ``NotFoundError``; ``lock`` holds its row."""
    require_office(actor)
    query = select(ImportDraft).where(ImportDraft.id == draft_id)
    draft = session.scalars(query.with_for_update() if lock else query).one_or_none()
    if draft is None:
        raise NotFoundError(Message("imports.error.no_draft", "import draft {id} does not exist (cancelled?)",
                                    {"id": draft_id}))
    return draft


def draft_plan(draft: ImportDraft) -> ParsedPlan:
    """The draft's (corrected) parsed plan."""
    return plan_from_json(draft.tree)


def edit_plan_draft(session: Session, draft_id: int, actor: Actor, revision: int,
                    edit: Callable[[ParsedPlan], None]) -> ImportDraft:
    """Apply one correction to an open plan draft; ``revision`` is the tree the form was made from.

    A form from an older revision (another window changed the draft) is a ``ConflictError``.
    """
    draft = editable_draft(session, draft_id, actor, DraftKind.PLAN)
    current = revision_of(draft.tree)
    if revision != current:
        raise DraftConflict(Message("imports.error.stale", "the draft was changed in another window; reload the "
                                    "page and try again"))
    plan = plan_from_json(draft.tree)
    edit(plan)
    renumber(plan)
    draft.tree = plan_to_json(plan, current + 1)  # a new dict, so the JSON column is seen as changed
    session.flush()
    return draft


def confirm_plan_draft(session: Session, engine: WorkflowEngine, draft_id: int, actor: Actor, *,
                       at: datetime) -> ConfirmResult:
    """Create the round from the corrected tree, start its lifecycles and mark the draft confirmed.

    A draft confirmed before is a ``ConflictError`` and creates nothing; a problem without measures
    is refused (a lifecycle needs at least one).
    """
    draft = editable_draft(session, draft_id, actor, DraftKind.PLAN)
    plan = plan_from_json(draft.tree)
    empty = empty_problems(plan)
    if empty:
        raise refused("empty_problems", "problem(s) {numbers} have no measures: move or split one into them",
                      numbers=", ".join(empty))
    claim_draft(session, draft, at)
    result = import_plan(session, engine, plan, actor=actor, at=at, source_name=draft.source_name)
    draft.round_id = result.round.id
    session.flush()
    return ConfirmResult(result.round.id, result.launched, result.warnings)


def claim_draft(session: Session, draft: ImportDraft, at: datetime) -> None:
    """Mark an open draft confirmed, atomically: of two confirmations racing, one wins and the
    other gets a ``ConflictError`` (the update only matches while the draft is still open)."""
    claimed = session.execute(
        update(ImportDraft).where(ImportDraft.id == draft.id, ImportDraft.status == DraftStatus.OPEN)
        .values(status=DraftStatus.CONFIRMED, confirmed_at=at).execution_options(synchronize_session=False)
    )
    if getattr(claimed, "rowcount", 0) != 1:
        raise _already_confirmed(draft)
    session.refresh(draft)


def cancel_draft(session: Session, draft_id: int, actor: Actor) -> None:
    """Delete an open draft; nothing of it remains. A confirmed draft stays (its round exists)."""
    draft = editable_draft(session, draft_id, actor, None)
    session.delete(draft)
    session.flush()


def editable_draft(session: Session, draft_id: int, actor: Actor, kind: DraftKind | None) -> ImportDraft:
    """The open draft of ``kind`` (any kind: ``None``), its row locked; 404 if missing, 409 if confirmed."""
    draft = draft_for(session, draft_id, actor, lock=True)
    if kind is not None and draft.kind != kind:
        raise NotFoundError(Message("imports.error.no_draft", "import draft {id} does not exist (cancelled?)",
                                    {"id": draft_id}))
    if draft.status != DraftStatus.OPEN:
        raise _already_confirmed(draft)
    return draft


def _already_confirmed(draft: ImportDraft) -> DraftConflict:
    return DraftConflict(Message("imports.error.confirmed", "import draft {id} was already confirmed",
                                 {"id": draft.id}))
