"""Ledger statuses are derived from the engine at every stage of a problem's life."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from engine import HumanTask, TaskStatus
from workflows import tasks as task_service
from workflows.models import ProblemStatus as S
from workflows.models import Role
from workflows.people import actor_for, create_person, create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch
from workflows.stages import Stage
from workflows.status import derive

from ..conftest import BPMN_DIR

BUNDLED = (BPMN_DIR / "rectification.bpmn").read_text(encoding="utf-8")


@pytest.fixture
def diagram(request):
    """The lifecycle's diagram: the bundled one, or the same with every task id renamed."""
    if getattr(request, "param", "bundled") == "task ids renamed":
        # Statuses come from the declared stages: a redrawn diagram with other ids must not matter.
        return BUNDLED.replace('"Task_', '"Step_').replace(">Task_", ">Step_")
    return BUNDLED


@pytest.fixture
def plan(session, wf_engine, clock, diagram):
    wf_engine.deploy(session, diagram.encode("utf-8"), "rectification.bpmn", actor="admin")
    unit = create_unit(session, "BGS", "办公室")
    people = {
        "officer": create_person(session, login="bgs", name="王敏", password="password1", roles=[Role.OFFICER],
                                 unit=unit),
        "leader": create_person(session, login="shuji", name="李书记", password="password1", roles=[Role.LEADER]),
        "supervisor": create_person(session, login="ducha", name="赵督查", password="password1",
                                    roles=[Role.SUPERVISION]),
    }
    round_ = create_round(session, title="测试轮次", at=clock())
    part = add_part(session, round_, "基层党组织建设方面")
    today = clock().date()
    normal = add_problem(session, part, "党建工作重视不够", leader=people["leader"], lead_unit=unit)
    for days in (10, 40):
        add_measure(session, normal, f"措施{days}", deadline=today + timedelta(days=days), units=[unit])
    long_term = add_problem(session, part, "干部队伍结构不够优化", long_term=True, leader=people["leader"],
                            lead_unit=unit)
    add_measure(session, long_term, "长期措施", deadline=today + timedelta(days=90), units=[unit])
    launch(session, wf_engine, round_, actor_for(people["supervisor"]))
    return {"normal": normal, "long_term": long_term, **{k: actor_for(v) for k, v in people.items()}}


def do(session, engine, problem, stage, actor, **data):
    tasks = session.query(HumanTask).filter(HumanTask.instance_id == problem.instance_id,
                                            HumanTask.stage == stage,
                                            HumanTask.status == TaskStatus.OPEN).all()
    assert tasks, stage
    for task in tasks:
        task_service.claim(session, engine, task.id, actor)
        task_service.complete(session, engine, task.id, actor, data)


def states(session, plan):
    return derive(session, [plan["normal"], plan["long_term"]])


@pytest.mark.parametrize("diagram", ["bundled", "task ids renamed"], indirect=True)
def test_statuses_through_overdue_rebound_and_long_term(session, wf_engine, clock, plan, diagram):
    if diagram is not BUNDLED:
        assert {t.bpmn_id for t in session.query(HumanTask)} == {"Step_submit_progress"}
    normal, long_term = plan["normal"], plan["long_term"]
    got = states(session, plan)
    assert got[normal.id].status == S.PENDING
    assert set(got[normal.id].measures.values()) == {S.PENDING}

    clock.advance(days=11)  # the first measure's deadline passes
    wf_engine.fire_due_timers(session, clock())
    got = states(session, plan)[normal.id]
    assert got.status == S.OVERDUE
    assert sorted(got.measures.values()) == sorted([S.OVERDUE, S.PENDING])

    do(session, wf_engine, normal, Stage.MEASURE_SUBMIT, plan["officer"], progress="已整改")
    do(session, wf_engine, long_term, Stage.MEASURE_SUBMIT, plan["officer"], progress="机制建立")
    assert [m.progress for m in normal.measures + long_term.measures] == ["已整改", "已整改", "机制建立"]
    assert states(session, plan)[normal.id].status == S.OVERDUE  # still overdue until approved
    do(session, wf_engine, normal, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    do(session, wf_engine, long_term, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    got = states(session, plan)
    assert got[normal.id].status == S.AWAITING_VERIFICATION
    assert set(got[normal.id].measures.values()) == {S.DONE}
    assert got[long_term.id].status == S.LONG_TERM

    do(session, wf_engine, normal, Stage.VERIFY, plan["supervisor"], verify_decision="pass")
    assert states(session, plan)[normal.id].status == S.CLOSED
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    assert states(session, plan)[normal.id].status == S.LOOK_BACK

    new_deadline = (clock().date() + timedelta(days=30)).isoformat()
    do(session, wf_engine, normal, Stage.LOOKBACK, plan["supervisor"], lookback_decision="rebound",
       reason="问题反弹", new_deadline=new_deadline)
    got = states(session, plan)[normal.id]
    assert got.status == S.REOPENED and got.rebounds == 1
    assert set(got.measures.values()) == {S.PENDING}  # old overdue marks belong to the previous round

    do(session, wf_engine, normal, Stage.MEASURE_SUBMIT, plan["officer"], progress="再次整改")
    do(session, wf_engine, normal, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    do(session, wf_engine, normal, Stage.VERIFY, plan["supervisor"], verify_decision="pass")
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    do(session, wf_engine, normal, Stage.LOOKBACK, plan["supervisor"], lookback_decision="consolidated")
    assert states(session, plan)[normal.id].status == S.CONSOLIDATED


def test_forms_reject_wrong_values_and_change_nothing(session, wf_engine, plan):
    from workflows.errors import ValidationError

    normal = plan["normal"]
    task = session.query(HumanTask).filter(HumanTask.instance_id == normal.instance_id).first()
    task_service.claim(session, wf_engine, task.id, plan["officer"])
    for bad, message in (({}, "progress is required"), ({"progress": 3}, "must be text"),
                         ({"progress": "x" * 6000}, "longer than"), ({"progress": "ok", "evidence": "a"},
                                                                     "evidence must be a list")):
        with pytest.raises(ValidationError, match=message):
            task_service.complete(session, wf_engine, task.id, plan["officer"], bad)
    assert session.get(HumanTask, task.id).status == TaskStatus.OPEN
    assert derive(session, [normal])[normal.id].status == S.IN_PROGRESS


def test_a_problem_not_launched_reads_not_started(session, clock):
    round_ = create_round(session, title="未启动", at=clock())
    problem = add_problem(session, add_part(session, round_, "方面"), "问题")
    add_measure(session, problem, "措施", deadline=date(2027, 1, 1))
    assert derive(session, [problem])[problem.id].status == S.NOT_STARTED
