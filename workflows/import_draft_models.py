"""Import drafts: an uploaded plan or ledger workbook held for review before it is applied.

A draft is the only thing an upload writes; confirming applies it (creating the round, or the
ledger's changes) and marks it confirmed in the same transaction; cancelling deletes it.
Re-exported by ``workflows.models``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JsonType
from engine.types import UtcDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class DraftKind(enum.StrEnum):
    PLAN = "plan"  # a .docx/.txt plan or progress report: creates a round
    LEDGER = "ledger"  # an edited ledger workbook: changes an existing round


class DraftStatus(enum.StrEnum):
    OPEN = "open"  # under review
    CONFIRMED = "confirmed"  # applied; a second confirmation is refused


class ImportDraft(Base):
    """One upload under review. ``tree`` is the editable parsed plan (or the ledger's diff), ``lines`` the
    source text's lines (what the preview shows beside the tree)."""

    __tablename__ = "import_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[DraftKind] = mapped_column(_enum(DraftKind))
    status: Mapped[DraftStatus] = mapped_column(_enum(DraftStatus), default=DraftStatus.OPEN)
    source_name: Mapped[str] = mapped_column(String(300))
    lines: Mapped[list[Any]] = mapped_column(JsonType, default=list)
    tree: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    payload: Mapped[bytes | None] = mapped_column(LargeBinary)  # the workbook of a ledger draft
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id", ondelete="SET NULL"))
    created_by: Mapped[str] = mapped_column(String(100), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    note: Mapped[str | None] = mapped_column(Text)
