"""The real rectification diagram through every path, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine import FixedClock, InstanceStatus, ProcessInstance, TaskStatus, WorkflowEngine
from engine.models import AuditEntry, HumanTask

from ..lifecycle_helpers import (
    LEADER,
    OFFICER,
    SUPERVISOR,
    deploy_lifecycle,
    events,
    finish_measures,
    open_tasks,
    start,
    timers,
    work,
)


def test_start_opens_one_submission_per_measure(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=3)
    tasks = open_tasks(session, instance.id)
    assert [t.bpmn_id for t in tasks] == ["Task_submit_progress"] * 3
    assert {t.item_key for t in tasks} == {"measure:101", "measure:102", "measure:103"}
    assert {t.candidate_group for t in tasks} == {"officer"}
    assert {t.candidate_unit for t in tasks} == {"U1"}
    assert all(t.due_at == wf_engine.clock() + timedelta(days=30) for t in tasks)
    # One deadline timer per measure, due at the deadline.
    assert [t.bpmn_id for t in timers(session, instance.id)] == ["Timer_measure_deadline"] * 3


def test_approve_verify_close_lookback_consolidated(session, wf_engine, clock: FixedClock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine)
    finish_measures(session, wf_engine, instance.id)
    assert events(session, instance.id) == ["measure_approved", "measure_approved"]
    # Deadline timers are gone once the measures are done.
    assert [t.bpmn_id for t in timers(session, instance.id)] == []
    [verify] = open_tasks(session, instance.id, "Task_verify")
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    assert events(session, instance.id)[-1] == "problem_closed"
    [lookback_timer] = timers(session, instance.id)
    assert lookback_timer.bpmn_id == "Timer_lookback"
    assert open_tasks(session, instance.id) == []

    # Nothing happens before the look-back delay.
    clock.advance(days=150)
    assert wf_engine.fire_due_timers(session, clock()) == []
    clock.advance(days=40)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    [lookback] = open_tasks(session, instance.id, "Task_lookback")
    work(session, wf_engine, lookback, SUPERVISOR, lookback_decision="consolidated", reason=None,
         new_deadline=None)
    session.refresh(instance)
    assert instance.status == InstanceStatus.COMPLETED
    assert events(session, instance.id)[-2:] == ["problem_closed", "problem_consolidated"]


def test_return_and_resubmit(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [submit] = open_tasks(session, instance.id)
    work(session, wf_engine, submit, OFFICER, progress="first try", evidence=[])
    [approve] = open_tasks(session, instance.id)
    assert approve.bpmn_id == "Task_approve_measure" and approve.candidate_user == "leader1"
    work(session, wf_engine, approve, LEADER, review_decision="return", reason="证据不足")
    [again] = open_tasks(session, instance.id)
    assert again.bpmn_id == "Task_submit_progress" and again.id != submit.id
    work(session, wf_engine, again, OFFICER, progress="second try", evidence=["minutes.pdf"])
    [approve2] = open_tasks(session, instance.id)
    work(session, wf_engine, approve2, LEADER, review_decision="approve", reason=None)
    [verify] = open_tasks(session, instance.id)
    assert verify.bpmn_id == "Task_verify"
    completed = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id,
                                                        HumanTask.status == TaskStatus.COMPLETED)).all()
    assert [t.data.get("progress") for t in completed if t.bpmn_id == "Task_submit_progress"] == [
        "first try", "second try"]


def test_verification_fails_back_to_rectification_with_new_deadline(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=2)
    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id)
    new_deadline = (clock() + timedelta(days=90)).isoformat()
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="fail", reason="整改不到位",
         new_deadline=new_deadline)
    tasks = open_tasks(session, instance.id)
    assert [t.bpmn_id for t in tasks] == ["Task_submit_progress"] * 2
    assert all(t.due_at == clock() + timedelta(days=90) for t in tasks)
    assert "verification_failed" in events(session, instance.id)
    finish_measures(session, wf_engine, instance.id)
    assert [t.bpmn_id for t in open_tasks(session, instance.id)] == ["Task_verify"]


def test_overdue_boundary_fires_and_work_continues(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=2, deadline_days=10)
    [first, second] = open_tasks(session, instance.id)
    work(session, wf_engine, first, OFFICER, progress="on time", evidence=[])
    clock.advance(days=9)
    assert wf_engine.fire_due_timers(session, clock()) == []
    clock.advance(days=2)
    assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
    assert events(session, instance.id).count("measure_overdue") == 2
    # The work was not interrupted: the same tasks are still open and can be finished.
    still_open = open_tasks(session, instance.id)
    assert {t.id for t in still_open} >= {second.id}
    assert wf_engine.fire_due_timers(session, clock()) == []  # fires once
    finish_measures(session, wf_engine, instance.id)
    assert [t.bpmn_id for t in open_tasks(session, instance.id)] == ["Task_verify"]
    overdue = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "timer").order_by(AuditEntry.id)))
    assert overdue and overdue[0].detail == {"timers": ["Timer_measure_deadline"]}


def test_long_term_problem_reports_periodically_until_closed(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1, long_term=True)
    finish_measures(session, wf_engine, instance.id)
    [close] = open_tasks(session, instance.id)
    assert close.bpmn_id == "Task_close_long_term"
    for month in range(1, 4):
        clock.advance(days=31)
        assert wf_engine.fire_due_timers(session, clock()) == [instance.id]
        reports = open_tasks(session, instance.id, "Task_periodic_report")
        assert len(reports) == 1, month
        work(session, wf_engine, reports[0], OFFICER, progress=f"month {month}")
    # Two months without reports: both periods are owed.
    clock.advance(days=62)
    wf_engine.fire_due_timers(session, clock())
    assert len(open_tasks(session, instance.id, "Task_periodic_report")) == 2
    owed = open_tasks(session, instance.id, "Task_periodic_report")
    [close] = open_tasks(session, instance.id, "Task_close_long_term")
    work(session, wf_engine, close, SUPERVISOR, close_note="长期坚持，机制已建立")
    assert "problem_closed" in events(session, instance.id)
    assert {t.bpmn_id for t in timers(session, instance.id)} == {"Timer_lookback"}
    # Closing ends the follow-up: reports still owed leave the officers' inboxes.
    assert open_tasks(session, instance.id) == []
    assert len(owed) == 2 and {t.status for t in owed} == {TaskStatus.CANCELLED}  # loaded rows show it too


def test_lookback_rebound_reopens_rectification(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=2)
    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id)
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    [lookback] = open_tasks(session, instance.id)
    new_deadline = (clock() + timedelta(days=30)).isoformat()
    work(session, wf_engine, lookback, SUPERVISOR, lookback_decision="rebound", reason="问题反弹",
         new_deadline=new_deadline)
    assert events(session, instance.id)[-1] == "problem_rebound"
    tasks = open_tasks(session, instance.id)
    assert [t.bpmn_id for t in tasks] == ["Task_submit_progress"] * 2
    assert all(t.due_at == clock() + timedelta(days=30) for t in tasks)
    session.refresh(instance)
    assert instance.status == InstanceStatus.RUNNING


def test_restart_mid_flight_continues_on_a_new_engine(session, clock):
    first = WorkflowEngine(clock=clock)
    deploy_lifecycle(session, first)
    instance = start(session, first, measures=2, deadline_days=5)
    [a, _] = open_tasks(session, instance.id)
    work(session, first, a, OFFICER, progress="half", evidence=[])
    session.expunge_all()

    second = WorkflowEngine(clock=clock)  # a restarted process: no cached specs, no memory
    clock.advance(days=6)
    assert second.fire_due_timers(session, clock()) == [instance.id]
    finish_measures(session, second, instance.id)
    [verify] = open_tasks(session, instance.id)
    work(session, second, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    assert events(session, instance.id)[-1] == "problem_closed"
    stored = session.get(ProcessInstance, instance.id)
    assert '"task_specs"' not in stored.state  # specs live in process_definition only


def test_amending_data_moves_a_deadline_but_not_a_look_back(session, wf_engine, clock):
    from engine import Actor

    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    later = (clock() + timedelta(days=90)).isoformat()

    def new_deadline(data):
        measure = data.get("measure")
        if isinstance(measure, dict) and measure.get("deadline") != later:
            data["measure"] = dict(measure, deadline=later)
            return True
        return False

    wf_engine.amend(session, instance.id, Actor("admin"), new_deadline, reason="延期")
    [deadline] = timers(session, instance.id)
    assert deadline.due_at == clock() + timedelta(days=90)

    finish_measures(session, wf_engine, instance.id)
    [verify] = open_tasks(session, instance.id)
    work(session, wf_engine, verify, SUPERVISOR, verify_decision="pass", reason=None, new_deadline=None)
    [lookback] = timers(session, instance.id)
    due = lookback.due_at
    clock.advance(days=30)

    def touch(data):
        data["note"] = "备注"
        return True

    assert wf_engine.amend(session, instance.id, Actor("admin"), touch, reason="备注") > 0
    [still] = timers(session, instance.id)
    assert still.due_at == due
