"""Rectification domain tables: units, people, rounds, parts, problems, measures, evidence.

Statuses are not stored here: they are derived from the engine's tables
(``workflows.status``), so the ledger can never disagree with the process.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, Enum, ForeignKey, Integer, String, Table, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine.db import Base, JsonType
from engine.types import UtcDateTime

from .item_keys import measure_key, problem_key


class Role(enum.StrEnum):
    """What a person may do; also the engine's candidate groups."""

    OFFICER = "officer"  # 责任单位经办人
    LEADER = "leader"  # 分管领导 / 主要领导
    SUPERVISION = "supervision"  # 督查
    ADMIN = "admin"  # 系统管理员


class Unit(Base):
    """An office or organisation: inspected units, lead units and responsible units."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)


class Person(Base):
    """Someone who signs in: an officer of a unit, a leader, a supervisor or an administrator."""

    __tablename__ = "person"

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(300))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    roles_text: Mapped[str] = mapped_column("roles", String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    phone: Mapped[str | None] = mapped_column(String(50))
    email: Mapped[str | None] = mapped_column(String(200))

    unit: Mapped[Unit | None] = relationship(lazy="joined")

    @property
    def roles(self) -> frozenset[Role]:
        return frozenset(Role(r) for r in self.roles_text.split(",") if r)

    @roles.setter
    def roles(self, value: set[Role] | frozenset[Role]) -> None:
        self.roles_text = ",".join(sorted(Role(r).value for r in value))

    def has_role(self, role: Role) -> bool:
        return role in self.roles


class UserSession(Base):
    """One sign-in of one person, named by the browser's session cookie (``workflows.user_sessions``).

    Kept on the server so that ending it takes effect at once: logout deletes the
    row, a password change or deactivation deletes all of the person's rows, and a
    cookie whose row is gone opens nothing. Only a hash of the token is stored.
    """

    __tablename__ = "user_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class ThrottleScope(enum.StrEnum):
    """What a failed-login counter counts: one login name, or one client address."""

    ACCOUNT = "account"
    ADDRESS = "address"


class LoginThrottle(Base):
    """Failed sign-ins of one login name or one address, and its lock (``workflows.login_guard``).

    In the database, not in memory, so that every web worker sees the same counts.
    ``key`` is a SHA-256 of the login or address: bounded, and any typed text fits.
    """

    __tablename__ = "login_throttle"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[ThrottleScope] = mapped_column(
        Enum(ThrottleScope, native_enum=False, length=20, values_callable=lambda e: [m.value for m in e])
    )
    key: Mapped[str] = mapped_column(String(64))
    failures: Mapped[int] = mapped_column(Integer, default=0)  # within the window that started at window_start
    window_start: Mapped[datetime | None] = mapped_column(UtcDateTime)
    lockouts: Mapped[int] = mapped_column(Integer, default=0)  # locks in a row: each one lasts twice as long
    locked_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RoundKind(enum.StrEnum):
    """What a round rectifies. The values are the domain's own words, as in ``ProblemStatus``."""

    LOCAL_INSPECTION = "巡察"  # city, county or district level
    HIGHER_INSPECTION = "巡视"  # provincial or central level
    AUDIT = "审计"


class InspectionRound(Base):
    """One inspection (巡察) of one unit, with the feedback it produced and the plan that answers it."""

    __tablename__ = "inspection_round"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    inspecting_group: Mapped[str | None] = mapped_column(String(200))
    inspected_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"), index=True)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)
    feedback_date: Mapped[date | None] = mapped_column(Date)
    report_date: Mapped[date | None] = mapped_column(Date)
    signatory: Mapped[str | None] = mapped_column(String(200))
    contacts: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    sections: Mapped[dict[str, Any]] = mapped_column(JsonType, default=dict)
    source_name: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kind: Mapped[RoundKind] = mapped_column(
        Enum(RoundKind, native_enum=False, length=8, values_callable=lambda e: [m.value for m in e]),
        default=RoundKind.LOCAL_INSPECTION,
        server_default=RoundKind.LOCAL_INSPECTION.value,
    )

    inspected_unit: Mapped[Unit | None] = relationship(lazy="joined")
    parts: Mapped[list[Part]] = relationship(
        back_populates="round", order_by="Part.ordinal", cascade="all, delete-orphan"
    )


class Part(Base):
    """A group of problems (方面 / 部分)."""

    __tablename__ = "part"
    __table_args__ = (UniqueConstraint("round_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_round.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)

    round: Mapped[InspectionRound] = relationship(back_populates="parts")
    problems: Mapped[list[Problem]] = relationship(
        back_populates="part", order_by="Problem.ordinal", cascade="all, delete-orphan"
    )


measure_unit = Table(
    "measure_unit",
    Base.metadata,
    Column("measure_id", ForeignKey("measure.id", ondelete="CASCADE"), primary_key=True),
    Column("unit_id", ForeignKey("unit.id"), primary_key=True),
)


class Problem(Base):
    """One feedback item (问题): the unit of closure (销号), run by one process instance."""

    __tablename__ = "problem"
    __table_args__ = (UniqueConstraint("part_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    part_id: Mapped[int] = mapped_column(ForeignKey("part.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(Text)
    long_term: Mapped[bool] = mapped_column(Boolean, default=False)
    lookback_months: Mapped[int] = mapped_column(Integer, default=6)
    report_interval_months: Mapped[int] = mapped_column(Integer, default=1)
    publishable: Mapped[bool] = mapped_column(Boolean, default=True)
    responsible_leader_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id"), index=True)

    part: Mapped[Part] = relationship(back_populates="problems")
    responsible_leader: Mapped[Person | None] = relationship(lazy="joined")
    lead_unit: Mapped[Unit | None] = relationship(lazy="joined")
    measures: Mapped[list[Measure]] = relationship(
        back_populates="problem", order_by="Measure.ordinal", cascade="all, delete-orphan"
    )

    @property
    def item_key(self) -> str:
        return problem_key(self.id)


class Measure(Base):
    """One action against a problem (整改措施), with its owners and deadline."""

    __tablename__ = "measure"
    __table_args__ = (UniqueConstraint("problem_id", "ordinal"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    ordinal: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    deadline: Mapped[date | None] = mapped_column(Date)
    deadline_text: Mapped[str | None] = mapped_column(String(100))
    responsible_leader_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    lead_unit_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    progress: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    problem: Mapped[Problem] = relationship(back_populates="measures")
    responsible_leader: Mapped[Person | None] = relationship(lazy="joined")
    lead_unit: Mapped[Unit | None] = relationship(lazy="joined")
    responsible_units: Mapped[list[Unit]] = relationship(secondary=measure_unit, order_by="Unit.id")
    evidence: Mapped[list[Evidence]] = relationship(back_populates="measure", cascade="all, delete-orphan")

    @property
    def item_key(self) -> str:
        return measure_key(self.id)


class Evidence(Base):
    """A file proving a measure was carried out (佐证材料), attached to the task it was submitted with.

    ``task_id`` is empty only on rows from before tasks were recorded; ``measure_id`` is empty
    on files of a problem-level step (e.g. a long-term item's periodic report). The file lives
    in the evidence store under ``storage_key`` (``workflows.evidence_store``), once per content.
    """

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int | None] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(300))
    uploaded_by: Mapped[str] = mapped_column(String(100))
    uploaded_at: Mapped[datetime] = mapped_column(UtcDateTime)

    measure: Mapped[Measure | None] = relationship(back_populates="evidence")


class DeadlineSource(enum.StrEnum):
    """Why a measure's deadline changed; the Chinese label is ``DEADLINE_SOURCE_LABELS``."""

    FILL_IN = "fill_in"  # 补录: the plan's deadline entered or corrected
    EXTENSION = "extension"  # 延期: an extension approved by a leader
    VERIFICATION_FAILED = "verification_failed"  # 核实未通过: supervision sent it back with a new deadline
    REBOUND = "rebound"  # 反弹重启: the look-back found a rebound and set fresh deadlines
    LEDGER_IMPORT = "ledger_import"  # 台账导入: an edited ledger workbook changed it


DEADLINE_SOURCE_LABELS: dict[DeadlineSource, str] = {
    DeadlineSource.FILL_IN: "补录",
    DeadlineSource.EXTENSION: "批准延期",
    DeadlineSource.VERIFICATION_FAILED: "核实未通过",
    DeadlineSource.REBOUND: "反弹重启",
    DeadlineSource.LEDGER_IMPORT: "台账导入",
}


class DeadlineChange(Base):
    """One change of a measure's deadline (原定时限 → 调整后时限): who, when, why.

    ``Measure.deadline`` is always the current deadline; these rows are its history, oldest
    first, so the ledger and the report can show what was promised and how it moved.
    """

    __tablename__ = "deadline_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    measure_id: Mapped[int] = mapped_column(ForeignKey("measure.id", ondelete="CASCADE"), index=True)
    old_deadline: Mapped[date | None] = mapped_column(Date)
    new_deadline: Mapped[date | None] = mapped_column(Date)
    source: Mapped[DeadlineSource] = mapped_column(
        Enum(DeadlineSource, native_enum=False, length=30, values_callable=lambda e: [m.value for m in e])
    )
    reason: Mapped[str | None] = mapped_column(Text)
    changed_by: Mapped[str] = mapped_column(String(100))  # the actor's login (or "system")
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ProblemStatus(enum.StrEnum):
    """Status shown in the ledger; derived from the engine, never stored.

    The values are the domain's own words, written into the Chinese ledger and report as
    they are; the web's label for each (in either language) is ``status.<name>`` in
    ``web.i18n``.
    """

    PENDING = "待整改"
    IN_PROGRESS = "整改中"
    AWAITING_APPROVAL = "待审批"
    DONE = "已完成"
    AWAITING_VERIFICATION = "待核实"
    LONG_TERM = "长期整改"
    CLOSED = "已销号"
    LOOK_BACK = "回头看"
    CONSOLIDATED = "已巩固"
    REOPENED = "反弹重启"
    OVERDUE = "逾期"
    NOT_STARTED = "未启动"


# The API token, import-draft, publishing and supervision tables live in their own modules; importing the
# domain's models registers them too.
from .api_token_models import ApiToken  # noqa: E402, F401
from .import_draft_models import DraftKind, DraftStatus, ImportDraft  # noqa: E402, F401
from .publication_models import FeedbackStatus, Publication, PublicFeedback  # noqa: E402, F401
from .supervision_models import MailStatus, ProblemFlag, Reminder, ReminderReason  # noqa: E402, F401
