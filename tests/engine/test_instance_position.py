"""An instance's position on the real rectification diagram: done, current and waiting elements."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine import FixedClock, NotFound, WorkflowEngine
from engine.instance_position import (
    ACTIVE,
    CURRENT,
    DONE,
    MILESTONE,
    SUBPROCESS,
    TASK,
    TIMER,
    WAITING,
    instance_position,
)

from ..lifecycle_helpers import (
    LEADER,
    OFFICER,
    SUPERVISOR,
    deploy_lifecycle,
    finish_measures,
    open_tasks,
    start,
    timers,
    work,
)


def test_a_new_instance_waits_at_each_measures_submission_and_deadline(session, wf_engine: WorkflowEngine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=2, deadline_days=30)
    position = instance_position(wf_engine, session, instance.id)
    assert position.current == {"Task_submit_progress": 2}  # one per measure
    assert [t.bpmn_id for t in position.timers] == ["Timer_measure_deadline"] * 2
    # The due times are the engine's timer table's, i.e. the measures' deadlines.
    assert {t.due_at for t in position.timers} == {wf_engine.clock() + timedelta(days=30)}
    assert {t.due_at for t in position.timers} == {t.due_at for t in timers(session, instance.id)}
    assert {"StartEvent_problem", "Gateway_rectify", "StartEvent_work"} <= position.completed
    assert "Task_submit_progress" not in position.completed and "Task_verify" not in position.completed
    assert (position.process_key, position.version, position.finished) == ("rectification", 1, False)
    assert position.state_of("Task_submit_progress") == CURRENT
    assert position.state_of("Timer_measure_deadline") == WAITING
    assert position.state_of("StartEvent_problem") == DONE
    assert position.state_of("Task_verify") is None
    assert position.active == {"SubProcess_measures", "SubProcess_measure_work"}
    assert position.state_of("SubProcess_measure_work") == ACTIVE


def test_the_steps_are_listed_in_flow_order_with_their_subprocesses(session, wf_engine: WorkflowEngine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine)
    steps = {step.bpmn_id: step for step in instance_position(wf_engine, session, instance.id).steps}
    order = list(steps)
    assert order.index("SubProcess_measures") < order.index("Task_submit_progress") < order.index("Task_verify")
    assert order.index("Task_verify") < order.index("Timer_lookback") < order.index("Task_lookback")
    assert steps["Task_submit_progress"].name == "报送整改进展与佐证材料 Submit progress and evidence"
    assert (steps["SubProcess_measures"].kind, steps["SubProcess_measures"].depth) == (SUBPROCESS, 0)
    assert (steps["SubProcess_measure_work"].kind, steps["SubProcess_measure_work"].depth) == (SUBPROCESS, 1)
    assert (steps["Task_submit_progress"].kind, steps["Task_submit_progress"].depth) == (TASK, 2)
    assert steps["Timer_measure_deadline"].kind == TIMER and steps["Timer_lookback"].kind == TIMER
    assert steps["Event_closed"].kind == MILESTONE and steps["Script_reopen"].kind == TASK
    assert not any(bpmn_id.startswith("Gateway_") for bpmn_id in steps)  # wiring, not steps


def test_a_submitted_and_approved_measure_is_done_while_the_other_is_current(session, wf_engine: WorkflowEngine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=2)
    first = open_tasks(session, instance.id, "Task_submit_progress")[0]
    work(session, wf_engine, first, OFFICER, progress="已完成第一项", evidence=[])
    position = instance_position(wf_engine, session, instance.id)
    assert position.current == {"Task_submit_progress": 1, "Task_approve_measure": 1}
    # Done for one measure, waiting for the other: shown as current, the more telling state.
    assert "Task_submit_progress" in position.completed
    assert position.state_of("Task_submit_progress") == CURRENT
    [approval] = open_tasks(session, instance.id, "Task_approve_measure")
    work(session, wf_engine, approval, LEADER, review_decision="approve", reason=None)
    position = instance_position(wf_engine, session, instance.id)
    assert position.current == {"Task_submit_progress": 1}
    assert {"Task_approve_measure", "Event_measure_approved"} <= position.completed
    assert [t.bpmn_id for t in position.timers] == ["Timer_measure_deadline"]  # the done measure's is gone


def test_a_closed_problem_waits_for_its_look_back(session, wf_engine: WorkflowEngine, clock: FixedClock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine)
    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id, "Task_verify")
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    position = instance_position(wf_engine, session, instance.id)
    assert position.current == {}
    [lookback] = position.timers
    [row] = timers(session, instance.id)
    assert (lookback.bpmn_id, lookback.due_at) == ("Timer_lookback", row.due_at)
    assert {"Task_verify", "Event_closed", "SubProcess_measures"} <= position.completed
    assert position.state_of("Timer_lookback") == WAITING

    clock.advance(days=200)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    position = instance_position(wf_engine, session, instance.id)
    assert position.current == {"Task_lookback": 1} and position.timers == ()
    assert "Timer_lookback" in position.completed


def test_a_finished_instance_has_nothing_current(session, wf_engine: WorkflowEngine, clock: FixedClock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id, "Task_verify")
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    [lookback] = open_tasks(session, instance.id, "Task_lookback")
    work(session, wf_engine, lookback, SUPERVISOR, lookback_decision="consolidated", reason=None, new_deadline=None)
    position = instance_position(wf_engine, session, instance.id)
    assert position.finished
    assert position.current == {} and position.timers == () and position.active == set()
    assert {"Task_lookback", "Event_consolidated", "EndEvent_consolidated"} <= position.completed


def test_a_missing_instance_is_not_found(session, wf_engine: WorkflowEngine):
    with pytest.raises(NotFound):
        instance_position(wf_engine, session, 987654)
