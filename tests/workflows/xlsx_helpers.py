"""Building ledger workbooks for the hostile-input tests: exported, edited, or patched by hand."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from workflows.ledger import LedgerValidationError, export_ledger, import_ledger

from .plan_fixtures import ADMIN, SmallPlan, plan_counts

SHEET = "xl/worksheets/sheet1.xml"


def export(session: Session, plan: SmallPlan) -> bytes:
    """The plan's round exported as workbook bytes."""
    stream = io.BytesIO()
    export_ledger(session, [plan.round], stream)
    return stream.getvalue()


def edit(data: bytes, change: Callable[[Workbook], None]) -> bytes:
    """The workbook after ``change``, as someone editing it in a spreadsheet program would save it."""
    book = load_workbook(io.BytesIO(data))
    change(book)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def patch(data: bytes, part: str, change: Callable[[str], str]) -> bytes:
    """The workbook with one zip part's XML rewritten, as a hand-made hostile file would be."""
    source, out = zipfile.ZipFile(io.BytesIO(data)), io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content.decode()).encode() if info.filename == part else content)
    return out.getvalue()


def set_cell_xml(coordinate: str, xml: str) -> Callable[[str], str]:
    """A ``patch`` change that replaces one cell's XML element."""
    def change(sheet: str) -> str:
        changed, n = re.subn(rf'<c r="{coordinate}"[^>]*?(/>|>.*?</c>)', xml, sheet, count=1)
        assert n == 1
        return changed
    return change


def load(session: Session, wf_engine: WorkflowEngine, data: bytes, **options: Any) -> Any:
    """``import_ledger`` of workbook bytes, by the admin."""
    return import_ledger(session, wf_engine, io.BytesIO(data), actor=ADMIN, at=wf_engine.clock(), **options)


def refused(session: Session, wf_engine: WorkflowEngine, data: bytes, **options: Any) -> list[str]:
    """The errors of an import that must fail cleanly and leave every table as it was."""
    before = plan_counts(session)
    with pytest.raises(LedgerValidationError) as caught:
        load(session, wf_engine, data, **options)
    assert plan_counts(session) == before
    return caught.value.errors


def with_part(data: bytes, name: str, content: bytes) -> bytes:
    """The workbook with one more zip part."""
    out = io.BytesIO(data)
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, content)
    return out.getvalue()


def lying_size(data: bytes, part: str, size: int) -> bytes:
    """The zip with its directory declaring ``part`` ``size`` bytes long (a bomb's usual trick)."""
    out, at = bytearray(data), 0
    while (at := out.find(b"PK\x01\x02", at)) >= 0:  # central directory records
        name_length = int.from_bytes(out[at + 28:at + 30], "little")
        if out[at + 46:at + 46 + name_length] == part.encode():
            out[at + 24:at + 28] = size.to_bytes(4, "little")
        at += 4
    return bytes(out)
