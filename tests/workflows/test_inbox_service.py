"""The inbox service on the real diagram: tabs, counts, filters, sort, paging, colours and claims."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, HumanTask, TaskStatus, WorkflowEngine
from workflows.inbox import InboxQuery, Sort, Tab, inbox_page, shorten, split_name, tab_ids
from workflows.inbox_claims import claim_task, unclaim_task
from workflows.inbox_filters import InboxFilters, filter_choices
from workflows.models import Problem, Role
from workflows.people import actor_for, create_person, person_by_login, unit_by_code
from workflows.stages import Stage
from workflows.warnings import WarningColour

from ..conftest import START
from .plan_fixtures import PASSWORD, SmallPlan, small_plan

G, Y, R, B = WarningColour.GREEN, WarningColour.YELLOW, WarningColour.RED, WarningColour.BLUE
BOTH_UNITS = Actor("both", groups=frozenset({"officer"}), units=frozenset({"U1", "U2"}))
LATE_MARCH = datetime(2026, 3, 25, 1, 0, tzinfo=UTC)  # 25 March, 09:00 in China


@pytest.fixture
def plan(session: Session, wf_engine: WorkflowEngine) -> SmallPlan:
    plan = small_plan(session, wf_engine)
    for login, name, unit in (("officer1", "王晓明", "U1"), ("officer3", "孙丽", "U1"), ("officer2", "赵敏", "U2")):
        create_person(session, login=login, name=name, password=PASSWORD, roles=[Role.OFFICER],
                      unit=unit_by_code(session, unit))
    create_person(session, login="ducha", name="周督查", password=PASSWORD, roles=[Role.SUPERVISION])
    return plan


def actor(session: Session, login: str) -> Actor:
    person = person_by_login(session, login)
    assert person is not None
    return actor_for(person)


def page(session: Session, who: Actor, *, now: datetime = START, window: int = 10, **query: object):  # type: ignore[no-untyped-def]
    return inbox_page(session, who, InboxQuery(**query), now=now, window_days=window)  # type: ignore[arg-type]


def titles(result) -> list[tuple[str | None, int | None]]:  # type: ignore[no-untyped-def]
    return [(row.problem_number, row.measure_number) for row in result.rows]


def test_tabs_count_and_list_mine_claimable_and_done(session: Session, wf_engine: WorkflowEngine, plan: SmallPlan):
    officer = actor(session, "officer1")
    first = page(session, officer, tab=Tab.CLAIMABLE)
    assert first.counts == {Tab.MINE: 0, Tab.CLAIMABLE: 3, Tab.DONE: 0}
    # Soonest deadline first; the long-term measure (no deadline) last.
    assert titles(first) == [("1.1", 1), ("1.1", 2), ("1.2", 1)]
    row = first.rows[0]
    assert row.problem_title == "理论学习不够深入" and row.measure_text == "每两个月组织一次中心组集中学习"
    assert (row.step_zh, row.step_en) == ("报送整改进展与佐证材料", "Submit progress and evidence")
    assert row.unit_name == "综治科" and row.due_date == date(2026, 3, 31) and row.warning.days_left == 85
    assert row.claimable and not row.is_mine and row.holder_name is None

    assert claim_task(session, wf_engine, row.task_id, officer).done
    mine = page(session, officer)
    assert mine.counts == {Tab.MINE: 1, Tab.CLAIMABLE: 2, Tab.DONE: 0}
    assert [r.task_id for r in mine.rows] == [row.task_id]
    assert mine.rows[0].is_mine and mine.rows[0].holder_name == "王晓明"

    wf_engine.complete(session, row.task_id, officer, {"progress": "已组织学习", "evidence": []})
    done = page(session, officer, tab=Tab.DONE)
    assert done.counts == {Tab.MINE: 0, Tab.CLAIMABLE: 2, Tab.DONE: 1}
    assert done.rows[0].task_id == row.task_id and not done.rows[0].is_mine and done.rows[0].completed_at
    # The officer of the other unit sees none of it; the leader now has the approval to claim.
    assert page(session, actor(session, "officer2"), tab=Tab.CLAIMABLE).counts[Tab.CLAIMABLE] == 2
    leader = page(session, actor(session, "leader1"), tab=Tab.CLAIMABLE)
    assert [(r.stage, r.step_zh) for r in leader.rows] == [(Stage.MEASURE_APPROVE, "审批整改措施")]


@pytest.mark.parametrize(("filters", "expected"), [
    (InboxFilters(), [("2.1", 1), ("2.2", 1), ("1.1", 1), ("1.1", 2), ("1.2", 1)]),
    (InboxFilters(unit="U2"), [("2.1", 1), ("2.2", 1)]),
    (InboxFilters(unit="U1", stage=Stage.MEASURE_SUBMIT), [("1.1", 1), ("1.1", 2), ("1.2", 1)]),
    (InboxFilters(stage=Stage.VERIFY), []),
    (InboxFilters(text="台账"), [("1.1", 2)]),  # a measure's words
    (InboxFilters(text="财务管理"), [("2.1", 1)]),  # a problem's words
    (InboxFilters(text="%"), []),  # LIKE's wildcards are plain characters
    (InboxFilters(text="第一议题"), [("1.2", 1)]),  # quotes and all: 落实“第一议题”制度
])
def test_filters_narrow_the_list_and_the_counts(session: Session, plan: SmallPlan, filters: InboxFilters,
                                                 expected: list[tuple[str, int]]) -> None:
    result = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, filters=filters)
    assert titles(result) == expected
    assert result.counts[Tab.CLAIMABLE] == len(expected)


def test_round_and_part_filters(session: Session, plan: SmallPlan) -> None:
    parts = plan.round.parts
    assert titles(page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, filters=InboxFilters(part_id=parts[0].id))) == [
        ("1.1", 1), ("1.1", 2), ("1.2", 1)]
    assert page(session, BOTH_UNITS, tab=Tab.CLAIMABLE,
                filters=InboxFilters(round_id=plan.round.id)).counts[Tab.CLAIMABLE] == 5
    assert page(session, BOTH_UNITS, tab=Tab.CLAIMABLE,
                filters=InboxFilters(round_id=plan.round.id + 1)).counts[Tab.CLAIMABLE] == 0
    choices = filter_choices(session)
    assert [(r.title, [p.title for p in r.parts]) for r in choices.rounds] == [
        (plan.round.title, ["党的领导方面", "全面从严治党方面"])]
    assert ("U2", "办公室") in choices.units and Stage.LOOKBACK in choices.stages


def test_colours_in_rows_and_filters_agree_as_time_passes(session: Session, plan: SmallPlan) -> None:
    at_start = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE)
    assert {row.warning.colour for row in at_start.rows} == {G, B}  # nothing within ten days yet
    late = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, now=LATE_MARCH)
    colours = {(row.problem_number, row.measure_number): row.warning.colour for row in late.rows}
    assert colours == {("2.1", 1): R, ("2.2", 1): R, ("1.1", 1): Y, ("1.1", 2): G, ("1.2", 1): B}
    assert [row.warning.days_left for row in late.rows] == [-25, -25, 6, 97, None]
    for colour in WarningColour:
        filtered = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, now=LATE_MARCH, filters=InboxFilters(colour=colour))
        assert set(titles(filtered)) == {key for key, c in colours.items() if c is colour}, colour
    overdue = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, now=LATE_MARCH, filters=InboxFilters(overdue=True))
    assert titles(overdue) == [("2.1", 1), ("2.2", 1)]
    # The window's last day: ten days left is still yellow, in the rows and in the filter.
    edge = datetime(2026, 3, 21, 1, 0, tzinfo=UTC)
    yellow = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, now=edge, filters=InboxFilters(colour=Y))
    assert titles(yellow) == [("1.1", 1)] and yellow.rows[0].warning.days_left == 10
    # A wider warning window turns the June measure yellow too.
    wide = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, now=LATE_MARCH, window=100)
    assert wide.rows[3].warning.colour is Y


def test_sort_by_deadline_or_by_age(session: Session, wf_engine: WorkflowEngine, clock: FixedClock,
                                    plan: SmallPlan) -> None:
    officer2, leader2 = actor(session, "officer2"), actor(session, "leader2")
    finance = _task_of(session, plan.finance.id)
    clock.advance(days=1)
    wf_engine.claim(session, finance.id, officer2)
    wf_engine.complete(session, finance.id, officer2, {"progress": "初稿", "evidence": []})
    approval = _task_of(session, plan.finance.id)
    wf_engine.claim(session, approval.id, leader2)
    wf_engine.complete(session, approval.id, leader2, {"review_decision": "return", "reason": "材料不全"})
    # The returned measure waits again, with its old deadline but a new task: the youngest.
    by_deadline = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE)
    by_age = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, sort=Sort.AGE)
    assert titles(by_deadline) == [("2.2", 1), ("2.1", 1), ("1.1", 1), ("1.1", 2), ("1.2", 1)]  # ties: older task first
    assert titles(by_age)[-1] == ("2.1", 1)
    assert [row.created_at for row in by_age.rows] == sorted(row.created_at for row in by_age.rows)
    # The done tab opens with the latest first; "recent" means nothing on an open tab.
    assert InboxQuery(tab=Tab.DONE).order is Sort.RECENT
    assert InboxQuery(tab=Tab.MINE, sort=Sort.RECENT).order is Sort.DEADLINE


def test_paging_covers_the_list_once_and_clamps(session: Session, plan: SmallPlan) -> None:
    everything = titles(page(session, BOTH_UNITS, tab=Tab.CLAIMABLE))
    pages = [page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, page=n, per_page=2) for n in (1, 2, 3)]
    assert [p.pages for p in pages] == [3, 3, 3]
    assert [key for p in pages for key in titles(p)] == everything
    beyond = page(session, BOTH_UNITS, tab=Tab.CLAIMABLE, page=99, per_page=2)
    assert beyond.page == 3 and titles(beyond) == everything[4:]
    empty = page(session, actor(session, "ducha"), tab=Tab.CLAIMABLE)
    assert (empty.page, empty.pages, empty.rows) == (1, 1, [])


def test_claim_lost_to_a_colleague_names_them(session: Session, wf_engine: WorkflowEngine, plan: SmallPlan) -> None:
    task = _task_of(session, plan.studying.id)
    assert claim_task(session, wf_engine, task.id, actor(session, "officer3")).done
    lost = claim_task(session, wf_engine, task.id, actor(session, "officer1"))
    assert not lost.done and lost.message.key == "inbox.claim_lost" and lost.message.params == {"name": "孙丽"}
    # The refusal left the transaction usable and the winner in place.
    assert session.get(HumanTask, task.id).assignee == "officer3"  # type: ignore[union-attr]
    again = unclaim_task(session, wf_engine, task.id, actor(session, "officer1"))
    assert not again.done and again.message.key == "inbox.unclaim_not_yours" and again.message.params["name"] == "孙丽"
    assert unclaim_task(session, wf_engine, task.id, actor(session, "officer3")).done
    nobody = unclaim_task(session, wf_engine, task.id, actor(session, "officer3"))
    assert nobody.message.key == "inbox.not_claimed"


def test_claim_refusals_are_messages(session: Session, wf_engine: WorkflowEngine, plan: SmallPlan) -> None:
    officer1 = actor(session, "officer1")
    task = _task_of(session, plan.studying.id)
    other_unit = claim_task(session, wf_engine, task.id, actor(session, "officer2"))
    assert (other_unit.done, other_unit.message.key) == (False, "inbox.claim_not_allowed")
    assert claim_task(session, wf_engine, task.id, officer1).done
    assert claim_task(session, wf_engine, task.id, officer1).message.key == "inbox.already_yours"
    wf_engine.complete(session, task.id, officer1, {"progress": "完成", "evidence": []})
    assert claim_task(session, wf_engine, task.id, officer1).message.key == "inbox.task_completed"
    assert unclaim_task(session, wf_engine, task.id, officer1).message.key == "inbox.task_completed"
    cancelled = _task_of(session, plan.ideology.id)
    cancelled.status = TaskStatus.CANCELLED
    session.flush()
    assert claim_task(session, wf_engine, cancelled.id, officer1).message.key == "inbox.task_cancelled"
    assert claim_task(session, wf_engine, 999_999, officer1).message.key == "inbox.task_missing"


def test_names_and_previews() -> None:
    assert split_name("报送整改进展与佐证材料 Submit progress and evidence") == (
        "报送整改进展与佐证材料", "Submit progress and evidence")
    assert split_name("回头看 Look-back review") == ("回头看", "Look-back review")
    assert split_name("逐项核实") == ("逐项核实", "")
    assert split_name("Verify") == ("", "Verify")
    assert shorten("一二三\n四五", 10) == "一二三 四五"
    assert shorten("一" * 20, 10) == "一" * 9 + "…"


def _task_of(session: Session, problem_id: int) -> HumanTask:
    """The first open task of a problem's lifecycle."""
    problem = session.get(Problem, problem_id)
    assert problem is not None
    task = session.scalar(select(HumanTask).where(HumanTask.instance_id == problem.instance_id,
                                                  HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id))
    assert task is not None
    return task


def test_sqlite_seeks_each_tab_in_its_partial_index(session: Session, wf_engine: WorkflowEngine, plan: SmallPlan,
                                                     db_kind: str) -> None:
    """With statistics that make ``assignee IS NULL`` look selective (many unclaimed tasks, many
    holders), SQLite must still read each tab through its own index, never every task."""
    if db_kind != "sqlite":
        pytest.skip("PostgreSQL plans from value statistics; this guards SQLite's planner")
    instance_id = _task_of(session, plan.studying.id).instance_id
    rows = [{"instance_id": instance_id, "task_guid": f"g{n}", "process_key": "p", "bpmn_id": "b", "name": "n",
             "candidate_group": "officer", "candidate_unit": f"U{n % 40}", "status": "open", "created_at": START,
             "assignee": f"holder{n % 300}" if n % 3 == 0 else None,
             "candidate_user": f"leader{n % 30}" if n % 7 == 0 else None} for n in range(3000)]
    rows += [{**row, "task_guid": f"d{n}", "status": "completed", "completed_by": row["assignee"]}
             for n, row in enumerate(rows[:900])]
    session.execute(insert(HumanTask), rows)
    session.execute(text("ANALYZE"))
    officer = actor(session, "officer1")
    for tab, index in ((Tab.MINE, "ix_human_task_open_assignee"), (Tab.CLAIMABLE, "ix_human_task_open_user"),
                       (Tab.DONE, "ix_human_task_done")):
        statement = select(func.count()).select_from(tab_ids(officer, tab).subquery())
        compiled = statement.compile(dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True})
        plan_rows = [row[3] for row in session.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))]
        assert any(index in step for step in plan_rows), (tab, plan_rows)
        assert not any(step.startswith("SCAN human_task") for step in plan_rows), (tab, plan_rows)
