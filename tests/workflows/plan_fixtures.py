"""Factories shared by the plan import, ledger workbook, report and CLI tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Actor, ProcessInstance, WorkflowEngine
from workflows.models import InspectionRound, Measure, Part, Person, Problem, Role, Unit
from workflows.people import create_person, create_unit
from workflows.plan_import import ImportResult, import_plan, parse_file
from workflows.plans import add_measure, add_part, add_problem, create_round, launch

from ..conftest import SEED
from ..lifecycle_helpers import deploy_lifecycle

ADMIN = Actor("admin", groups=frozenset({"admin"}))
FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "plans"
PASSWORD = "correct-horse-battery"


def import_seed(session: Session, engine: WorkflowEngine, *, launch_it: bool = True) -> ImportResult:
    """The seed report imported (and launched) on a freshly deployed lifecycle."""
    deploy_lifecycle(session, engine)
    return import_plan(session, engine, parse_file(SEED), actor=ADMIN, at=engine.clock(), launch_it=launch_it)


@dataclass
class SmallPlan:
    """A launched round of two parts and four problems, one of them not for publication."""

    round: InspectionRound
    leader: Person
    other_leader: Person
    office: Unit
    security: Unit
    studying: Problem  # two measures with dates
    ideology: Problem  # long-term
    finance: Problem  # two responsible units
    secret: Problem  # publishable=False


DEFAULT_TITLE = "区委第二巡察组对区委政法委巡察反馈意见整改"


def small_plan(
    session: Session, engine: WorkflowEngine, *, title: str = DEFAULT_TITLE, launch_it: bool = True
) -> SmallPlan:
    """Units U1 综治科 / U2 办公室, leaders leader1 李书记 / leader2 陈副书记, and a launched round."""
    deploy_lifecycle(session, engine)
    security = create_unit(session, "U1", "综治科")
    office = create_unit(session, "U2", "办公室")
    inspected = create_unit(session, "ZFW", "区委政法委")
    leader = create_person(session, login="leader1", name="李书记", password=PASSWORD, roles=[Role.LEADER])
    other = create_person(session, login="leader2", name="陈副书记", password=PASSWORD, roles=[Role.LEADER])
    round_ = create_round(
        session, title=title, at=engine.clock(), inspecting_group="区委第二巡察组", inspected_unit=inspected,
        period_start=date(2025, 3, 3), period_end=date(2025, 4, 30), feedback_date=date(2025, 6, 10),
        signatory="中共某区委政法委员会",
        contacts={"phone": "020-12345678", "post": "某区某路1号", "postcode": "510000", "email": "a@b.cn"},
    )
    lead = add_part(session, round_, "党的领导方面")
    studying = add_problem(session, lead, "理论学习不够深入", leader=leader, lead_unit=security)
    add_measure(session, studying, "每两个月组织一次中心组集中学习", deadline=date(2026, 3, 31),
                deadline_text="2026年3月底前", units=[security])
    add_measure(session, studying, "建立学习台账，逐次登记。", deadline=date(2026, 6, 30), units=[security])
    ideology = add_problem(session, lead, "意识形态责任制虚化", long_term=True, leader=leader,
                           lead_unit=security)
    add_measure(session, ideology, "落实“第一议题”制度", deadline_text="长期坚持", units=[security])
    strict = add_part(session, round_, "全面从严治党方面")
    finance = add_problem(session, strict, "财务管理不规范", leader=other, lead_unit=office)
    add_measure(session, finance, "加大对经费用途的审核", deadline=date(2026, 2, 28),
                units=[office, security])
    secret = add_problem(session, strict, "涉及在办案件的问题", publishable=False, leader=other,
                         lead_unit=office)
    add_measure(session, secret, "按规定办理", deadline=date(2026, 2, 28), units=[office])
    if launch_it:
        launch(session, engine, round_, ADMIN)
    return SmallPlan(round_, leader, other, office, security, studying, ideology, finance, secret)


def plan_counts(session: Session) -> dict[str, int]:
    """Rows in the plan and instance tables: what an import would add to."""
    return {
        model.__name__: session.scalar(select(func.count()).select_from(model)) or 0
        for model in (InspectionRound, Part, Problem, Measure, Unit, ProcessInstance)
    }
