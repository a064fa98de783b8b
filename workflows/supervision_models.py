"""Supervision tables (督查督办): reminders to people, and problems flagged for supervision (挂牌督办).

Kept apart from ``workflows.models`` (the plan's tables), which re-exports them so that
importing the domain's models registers every table.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import Date, Enum, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from engine.db import Base
from engine.types import UtcDateTime


def _enum(cls: type[enum.Enum]) -> Enum:
    return Enum(cls, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])


class ReminderReason(enum.StrEnum):
    """Why a reminder was sent."""

    WARNING = "warning"  # a measure entered the warning window (临期预警)
    OVERDUE = "overdue"  # a measure is overdue (逾期), to the officer and the responsible leader
    OVERDUE_AGAIN = "overdue_again"  # still overdue, repeated at an interval
    AWAITING_VERIFICATION = "awaiting_verification"  # a problem waits for supervision's verification too long
    FLAGGED = "flagged"  # a flagged problem (挂牌督办), daily


class MailStatus(enum.StrEnum):
    """Where a reminder's e-mail stands."""

    NONE = "none"  # no mail: SMTP not configured, or the recipient has no address
    PENDING = "pending"  # to be sent (again at ``mail_next_at`` after a failure)
    SENT = "sent"
    FAILED = "failed"  # gave up after the last retry


class Reminder(Base):
    """One reminder to one person: shown in the app (read/unread) and mailed when SMTP is configured.

    ``cause`` names what the reminder is about so that the same cause never reminds twice
    (e.g. ``overdue:measure:12:2027-03-31`` or ``flagged:problem:3:2027-04-02``): it is unique per recipient.
    """

    __tablename__ = "reminder"
    __table_args__ = (
        Index("ux_reminder_cause", "recipient", "cause", unique=True),
        Index("ix_reminder_inbox", "recipient", "read_at"),
        Index("ix_reminder_mail", "mail_status", "mail_next_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(100))  # the person's login
    reason: Mapped[ReminderReason] = mapped_column(_enum(ReminderReason))
    cause: Mapped[str] = mapped_column(String(200))
    item_key: Mapped[str | None] = mapped_column(String(200))  # measure:<id> or problem:<id>
    problem_id: Mapped[int | None] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mail_status: Mapped[MailStatus] = mapped_column(_enum(MailStatus), default=MailStatus.NONE)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_next_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    mail_error: Mapped[str | None] = mapped_column(Text)
    mailed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ProblemFlag(Base):
    """A problem flagged for supervision (挂牌督办): why, by when, by whom; cleared when lifted."""

    __tablename__ = "problem_flag"
    # at most one active flag per problem, whatever two supervisors do at the same moment
    __table_args__ = (Index("ux_problem_flag_active", "problem_id", unique=True,
                            sqlite_where=text("cleared_at IS NULL"), postgresql_where=text("cleared_at IS NULL")),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    reason: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date] = mapped_column(Date)  # 督办时限: tighter than the measures' own
    flagged_by: Mapped[str] = mapped_column(String(100))
    flagged_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cleared_by: Mapped[str | None] = mapped_column(String(100))
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    clear_reason: Mapped[str | None] = mapped_column(Text)
