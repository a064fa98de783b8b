"""Publishing tables: report snapshots shown to the public (整改进展情况公布) and the public's feedback (意见建议).

Kept apart from ``workflows.models`` (the plan's tables), which re-exports them so that
importing the domain's models registers every table.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Enum, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base, JsonType
from engine.types import UtcDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class Publication(Base):
    """One published progress report of a round: immutable once written, numbered per round (``version``).

    ``html`` is the report body as the public saw it (rendered and escaped when published),
    ``figures`` the counts it stated; withheld problems (``Problem.publishable`` false) are
    never in either.
    """

    __tablename__ = "publication"
    __table_args__ = (UniqueConstraint("round_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    html: Mapped[str] = mapped_column(Text)
    markdown: Mapped[str] = mapped_column(Text)
    figures: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    published_by: Mapped[str] = mapped_column(String(100))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class FeedbackStatus(enum.StrEnum):
    """Where a piece of public feedback stands; triage is a task of the ``feedback_triage`` diagram."""

    NEW = "new"  # waiting for supervision's triage task
    REPLIED = "replied"  # answered (the reply is kept with it)
    FORWARDED = "forwarded"  # sent to a unit as a new problem (``problem_id``)
    DISMISSED = "dismissed"  # set aside, with a reason


class PublicFeedback(Base):
    """One opinion sent from the public page. Name and contact are optional; the text is never rendered raw.

    ``address_hash`` is a keyed hash of the sender's address, kept only to rate-limit senders.
    """

    __tablename__ = "public_feedback"

    id: Mapped[int] = mapped_column(primary_key=True)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publication.id", ondelete="SET NULL"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("inspection_round.id", ondelete="SET NULL"), index=True)
    name: Mapped[str | None] = mapped_column(String(50))
    contact: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    address_hash: Mapped[str] = mapped_column(String(64), index=True)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    status: Mapped[FeedbackStatus] = mapped_column(_enum(FeedbackStatus), default=FeedbackStatus.NEW)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)
    reply: Mapped[str | None] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text)
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="SET NULL"))
    handled_by: Mapped[str | None] = mapped_column(String(100))
    handled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
