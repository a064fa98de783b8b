"""The dashboard's figures on a round whose answer is known, as supervision and as leaders see them,
and their cost: the same number of queries for a round of 4 problems as for one of 16.

The small plan (``deadline_world``) plus one more measure of 2.1 (财务管理不规范), due 2026-01-31:
on 2026-02-10 supervision closes 1.1 (理论学习不够深入: both measures done and verified); on 2026-02-20
2.1.2 is overdue (red), 2.1.1 and 2.2.1 (due 02-28) are due soon (yellow), 1.2.1 is long-term (blue).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, WorkflowEngine
from workflows.dashboard import ClosurePeriod, DashboardFigures, Tally, dashboard_figures, visible_rounds
from workflows.errors import NotFoundError
from workflows.models import ProblemStatus as S
from workflows.models import Role
from workflows.people import actor_for, create_person
from workflows.plans import add_measure, add_part, add_problem, launch
from workflows.warnings import WarningColour

from .deadline_world import World, do, finish_measures
from .plan_fixtures import ADMIN, PASSWORD, small_plan

SHANGHAI = ZoneInfo("Asia/Shanghai")
CLOSING_DAY = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)
TODAY = datetime(2026, 2, 20, 2, 0, tzinfo=UTC)  # 10:00 in China


def figures(session: Session, world: World, actor: Actor | None = None, *, now: datetime = TODAY,
            round_id: int | None = None) -> DashboardFigures:
    found = dashboard_figures(session, actor or world.supervisor, round_id, now=now, zone=SHANGHAI,
                              window_days=10)
    assert found is not None
    return found


def known_round(session: Session, engine: WorkflowEngine, clock: FixedClock) -> World:
    """The known round at 2026-02-20, with 1.1 closed on 2026-02-10 and the deadline timers fired."""
    plan = small_plan(session, engine, launch_it=False)
    add_measure(session, plan.finance, "清理往来款项", deadline=date(2026, 1, 31), units=[plan.office])
    launch(session, engine, plan.round, ADMIN)
    officer = create_person(session, login="officer1", name="张干事", password=PASSWORD, roles=[Role.OFFICER],
                            unit=plan.security)
    supervisor = create_person(session, login="sup1", name="王督查", password=PASSWORD, roles=[Role.SUPERVISION])
    made = World(plan, actor_for(officer), actor_for(supervisor), actor_for(plan.leader),
                 actor_for(plan.other_leader))
    clock.set(CLOSING_DAY)
    finish_measures(session, engine, made, plan.studying)
    do(session, engine, plan.studying, "verify", made.supervisor, verify_decision="pass")
    clock.set(TODAY)
    engine.fire_due_timers(session, TODAY)
    return made


@pytest.fixture
def world(session: Session, wf_engine: WorkflowEngine, clock: FixedClock) -> World:
    return known_round(session, wf_engine, clock)


def counts(tally: Tally) -> tuple[int, int, int, int, int, int]:
    return (tally.problems_done, tally.problems, tally.measures_done, tally.measures, tally.overdue,
            tally.due_soon)


def test_the_round_as_supervision_sees_it(session: Session, world: World) -> None:
    found = figures(session, world)
    total = found.total
    assert counts(total) == (1, 4, 2, 6, 1, 2)
    assert (total.rate, total.measure_rate) == (25, 33)
    assert total.open_by_colour == {WarningColour.RED: 1, WarningColour.YELLOW: 2, WarningColour.GREEN: 0,
                                    WarningColour.BLUE: 1}
    assert found.problem_colours == {WarningColour.RED: 1, WarningColour.YELLOW: 1, WarningColour.GREEN: 0,
                                     WarningColour.BLUE: 1}
    assert found.statuses == [(S.PENDING, 2), (S.CLOSED, 1), (S.OVERDUE, 1)]
    assert [(t.label, counts(t)) for t in found.parts] == [
        ("党的领导方面", (1, 2, 2, 3, 0, 0)), ("全面从严治党方面", (0, 2, 0, 3, 1, 2))]
    assert [t.key for t in found.parts] == [str(world.plan.studying.part_id), str(world.plan.finance.part_id)]
    # 2.1.1 is shared by 办公室 and 综治科: it counts for both
    assert [(t.key, t.label, counts(t)) for t in found.units] == [
        ("U1", "综治科", (1, 3, 2, 4, 0, 1)), ("U2", "办公室", (0, 2, 0, 3, 1, 2))]
    assert found.closed_this_month == 1 and found.today == date(2026, 2, 20)
    assert found.round.id == world.plan.round.id and [r.id for r in found.rounds] == [world.plan.round.id]


def test_closures_are_counted_by_week_then_by_month(session: Session, world: World) -> None:
    weekly = figures(session, world)
    assert weekly.trend_by == "week"
    assert weekly.trend[0] == ClosurePeriod(date(2026, 1, 5), 0)  # the round began on Monday 5 January
    assert weekly.trend[-1].start == date(2026, 2, 16) and len(weekly.trend) == 7
    assert [(p.start, p.closed) for p in weekly.trend if p.closed] == [(date(2026, 2, 9), 1)]
    monthly = figures(session, world, now=datetime(2026, 6, 1, 2, 0, tzinfo=UTC))
    assert monthly.trend_by == "month"
    assert [(p.start.month, p.closed) for p in monthly.trend] == [(1, 0), (2, 1), (3, 0), (4, 0), (5, 0), (6, 0)]
    assert monthly.closed_this_month == 0


def test_a_month_begins_in_the_display_zone(session: Session, world: World) -> None:
    """00:30 on 1 March in China is still February in UTC: the closure of 10 February is last month's."""
    found = figures(session, world, now=datetime(2026, 2, 28, 16, 30, tzinfo=UTC))
    assert found.today == date(2026, 3, 1) and found.closed_this_month == 0
    found = figures(session, world, now=datetime(2026, 2, 28, 15, 30, tzinfo=UTC))
    assert found.today == date(2026, 2, 28) and found.closed_this_month == 1


def test_leaders_see_only_their_own_problems(session: Session, world: World) -> None:
    mine = figures(session, world, world.other_leader)  # 陈副书记: 2.1 and 2.2
    assert counts(mine.total) == (0, 2, 0, 3, 1, 2)
    assert [t.label for t in mine.parts] == ["全面从严治党方面"]
    assert mine.statuses == [(S.PENDING, 1), (S.OVERDUE, 1)]
    assert mine.closed_this_month == 0 and sum(p.closed for p in mine.trend) == 0
    first = figures(session, world, world.leader)  # 李书记: 1.1 (closed) and 1.2
    assert counts(first.total) == (1, 2, 2, 3, 0, 0) and first.closed_this_month == 1


def test_a_leader_with_nothing_to_see_has_no_round(session: Session, world: World) -> None:
    stranger = actor_for(create_person(session, login="leader9", name="周主任", password=PASSWORD,
                                       roles=[Role.LEADER]))
    assert visible_rounds(session, stranger) == []
    assert dashboard_figures(session, stranger, None, now=TODAY, zone=SHANGHAI, window_days=10) is None
    with pytest.raises(NotFoundError):
        dashboard_figures(session, stranger, world.plan.round.id, now=TODAY, zone=SHANGHAI, window_days=10)
    with pytest.raises(NotFoundError):
        figures(session, world, round_id=world.plan.round.id + 1000)


@contextlib.contextmanager
def counted(session: Session) -> Iterator[list[str]]:
    statements: list[str] = []
    engine = session.get_bind()

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_a_large_round_costs_the_same_queries_as_a_small_one(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    leader = actor_for(plan.leader)
    supervisor = actor_for(create_person(session, login="sup9", name="钱督查", password=PASSWORD,
                                         roles=[Role.SUPERVISION]))
    small: dict[str, int] = {}
    for name, actor in (("supervision", supervisor), ("leader", leader)):
        session.expire_all()
        with counted(session) as statements:
            dashboard_figures(session, actor, None, now=TODAY, zone=SHANGHAI, window_days=10)
        small[name] = len(statements)
    part = add_part(session, plan.round, "选人用人方面")
    for n in range(12):
        problem = add_problem(session, part, f"问题{n}", leader=plan.leader, lead_unit=plan.security)
        for m in range(3):
            add_measure(session, problem, f"措施{n}.{m}", deadline=date(2026, 3, 1 + m),
                        units=[plan.security, plan.office][: 1 + m % 2])
    launch(session, wf_engine, plan.round, ADMIN)
    for name, actor in (("supervision", supervisor), ("leader", leader)):
        session.expire_all()
        with counted(session) as statements:
            found = dashboard_figures(session, actor, None, now=TODAY, zone=SHANGHAI, window_days=10)
        assert found is not None and found.total.problems >= 14
        assert len(statements) == small[name], name
    assert small["supervision"] <= 16 and small["leader"] <= 18
