"""Diagrams as modelers export them deploy and run to completion (issue 14, item 1).

Each fixture under tests/fixtures/bpmn/modelers/ was drawn for one feature: ISO 8601 timer
literals as plain text, data objects and stores as documentation, implicit and conditional
splits from tasks, prefixed references, black-box pools, abstract tasks, and exports from
Camunda Modeler, Signavio and Bizagi. The tests drive each one as a user would: start it,
complete its human tasks, move the clock for its timers, and see it complete.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine import Actor, HumanTask, ProcessDefinition, ProcessInstance
from engine.deploy import check_diagram

from ..conftest import ROOT
from ..lifecycle_helpers import open_tasks, timers, work

MODELERS = ROOT / "tests" / "fixtures" / "bpmn" / "modelers"
ADMIN = Actor("admin")


def deploy(session, wf_engine, name: str) -> str:
    [result] = wf_engine.deploy(session, (MODELERS / name).read_bytes(), name, actor="admin")
    return result.definition.process_key


def run(session, wf_engine, name: str, data: dict[str, Any] | None = None) -> ProcessInstance:
    return wf_engine.start(session, deploy(session, wf_engine, name), data or {}, actor=ADMIN)


def status(session, instance: ProcessInstance) -> str:
    session.refresh(instance)
    return instance.status.value


def final_data(session, wf_engine, instance: ProcessInstance) -> dict[str, Any]:
    """What the finished process left in its data: the union of its tasks' data."""
    workflow = wf_engine.load_workflow(session, instance.id)
    merged: dict[str, Any] = {}
    for task in workflow.get_tasks():
        merged.update(task.data)
    return merged


def near(when: datetime, expected: datetime) -> bool:
    """Due times are computed at the step's time, a moment after the clock reading."""
    return abs(when - expected) < timedelta(seconds=1)


def fire_until(session, wf_engine, clock, when: datetime) -> None:
    clock.set(when)
    wf_engine.fire_due_timers(session, clock())


def complete_all(session, wf_engine, instance: ProcessInstance, actor: Actor, **data: Any) -> list[str]:
    """Complete every open task of the instance (and those they open) as ``actor``; their BPMN ids."""
    done = []
    while tasks := open_tasks(session, instance.id):
        for task in tasks:
            work(session, wf_engine, task, actor, **data)
            done.append(task.bpmn_id)
    return done


def test_every_modeler_fixture_deploys_cleanly():
    for path in sorted(MODELERS.glob("*.bpmn")):
        problems = check_diagram(path.read_bytes(), path.name)
        if path.name == "no_executable.bpmn" or path.name.startswith("refused_"):
            assert problems
        else:
            assert problems == [], path.name


def test_plain_iso_durations_are_literals_and_expressions_still_work(session, wf_engine, clock):
    instance = run(session, wf_engine, "timer_iso_duration.bpmn", {"delay": "PT2H"})
    [week] = timers(session, instance.id)
    assert near(week.due_at, clock() + timedelta(days=7))
    fire_until(session, wf_engine, clock, week.due_at + timedelta(minutes=1))
    [hours] = timers(session, instance.id)
    assert near(hours.due_at, clock() + timedelta(hours=36))
    fire_until(session, wf_engine, clock, hours.due_at + timedelta(minutes=1))
    [expression] = timers(session, instance.id)
    assert near(expression.due_at, clock() + timedelta(hours=2))  # 'delay' read from the data
    fire_until(session, wf_engine, clock, expression.due_at + timedelta(minutes=1))
    assert status(session, instance) == "completed"
    assert final_data(session, wf_engine, instance)["waited"] == "P7D"


def test_plain_iso_dates_with_and_without_a_time(session, wf_engine, clock):
    instance = run(session, wf_engine, "timer_iso_date.bpmn")
    [new_year] = timers(session, instance.id)
    assert new_year.due_at == datetime(2027, 1, 1, 9, 0, tzinfo=UTC)
    fire_until(session, wf_engine, clock, new_year.due_at + timedelta(minutes=1))
    [day] = timers(session, instance.id)
    assert day.due_at.date() in (datetime(2027, 1, 1).date(), datetime(2027, 1, 2).date())  # local midnight
    fire_until(session, wf_engine, clock, datetime(2027, 1, 3, tzinfo=UTC))
    assert status(session, instance) == "completed"


def test_plain_iso_cycles_repeat_and_stop_when_the_task_is_done(session, wf_engine, clock):
    instance = run(session, wf_engine, "timer_iso_cycle.bpmn")
    due = {t.bpmn_id: t.due_at for t in timers(session, instance.id)}
    assert due == {"Boundary_daily": clock() + timedelta(days=1),
                   "Boundary_from": datetime(2027, 1, 1, 9, 0, tzinfo=UTC)}
    fire_until(session, wf_engine, clock, clock() + timedelta(days=1, minutes=1))
    due = {t.bpmn_id: t.due_at for t in timers(session, instance.id)}
    assert due["Boundary_daily"] == datetime(2026, 1, 7, 1, 0, tzinfo=UTC)
    assert final_data(session, wf_engine, instance).get("reminded") is True
    [task] = open_tasks(session, instance.id)
    work(session, wf_engine, task, Actor("clerk", groups=frozenset({"Lane_clerks"})))
    assert status(session, instance) == "completed"
    assert timers(session, instance.id) == []


def test_data_objects_stores_and_annotations_are_documentation(session, wf_engine):
    instance = run(session, wf_engine, "data_objects.bpmn")
    [review] = open_tasks(session, instance.id)
    assert review.name == "Review the case file"
    work(session, wf_engine, review, Actor("clerk", groups=frozenset({"Lane_office"})), verdict="fine")
    assert status(session, instance) == "completed"
    assert final_data(session, wf_engine, instance)["archived"] is True


def test_a_task_with_two_plain_outgoing_flows_splits_in_parallel(session, wf_engine):
    instance = run(session, wf_engine, "implicit_parallel_split.bpmn")
    tasks = open_tasks(session, instance.id)
    assert sorted(t.bpmn_id for t in tasks) == ["Task_check_a", "Task_check_b"]
    team = Actor("member", groups=frozenset({"Lane_team"}))
    work(session, wf_engine, tasks[0], team)
    assert status(session, instance) == "running"  # the join waits for the other branch
    work(session, wf_engine, tasks[1], team)
    assert status(session, instance) == "completed"


@pytest.mark.parametrize(("amount", "taken", "not_taken"), [
    (50, {"automatic", "logged"}, {"approved", "audited"}),
    (500, {"approved", "logged"}, {"audited", "automatic"}),
    (5000, {"approved", "audited", "logged"}, {"automatic"}),
])
def test_conditional_flows_from_a_task_honour_the_default(session, wf_engine, amount, taken, not_taken):
    instance = run(session, wf_engine, "conditional_flows.bpmn", {"amount": amount})
    assert status(session, instance) == "completed"
    data = final_data(session, wf_engine, instance)
    assert taken <= set(data) and not (not_taken & set(data))


def test_prefixed_references_resolve_by_local_name(session, wf_engine):
    instance = run(session, wf_engine, "prefixed_refs.bpmn", {"skip": False})
    assert status(session, instance) == "completed"
    data = final_data(session, wf_engine, instance)
    assert data["asked"] is True  # the error end event reached the boundary event through 'tns:Error_missing'
    skipped = run(session, wf_engine, "prefixed_refs.bpmn", {"skip": True})
    assert status(session, skipped) == "completed" and "asked" not in final_data(session, wf_engine, skipped)


def test_black_box_pools_are_skipped(session, wf_engine):
    instance = run(session, wf_engine, "black_box_pool.bpmn")
    assert status(session, instance) == "completed"
    keys = set(session.scalars(select(ProcessDefinition.process_key)))
    assert keys == {"black_box_pool"}  # not the supplier's empty pool


def test_abstract_tasks_pass_through_by_default(session, wf_engine):
    instance = run(session, wf_engine, "abstract_tasks.bpmn")
    assert status(session, instance) == "completed"
    assert session.scalars(select(HumanTask).where(HumanTask.instance_id == instance.id)).all() == []


def test_abstract_tasks_can_be_made_human_tasks_per_process(session, wf_engine):
    instance = run(session, wf_engine, "abstract_tasks_human.bpmn")
    clerk = Actor("clerk", groups=frozenset({"Lane_clerk"}))
    done = complete_all(session, wf_engine, instance, clerk)
    assert done == ["Task_think", "Task_sign", "Task_send", "Task_receive"]
    assert status(session, instance) == "completed"


def test_a_camunda_modeler_export_runs(session, wf_engine, clock):
    # Task_review names camunda:candidateGroups="reviewers"; Task_stamp is its lane's (Lane_reviewers)
    reviewer = Actor("rev", groups=frozenset({"reviewers", "Lane_reviewers"}))
    approved = run(session, wf_engine, "camunda_export.bpmn")
    fire_until(session, wf_engine, clock, clock() + timedelta(hours=1, minutes=1))  # the PT1H reminder
    assert final_data(session, wf_engine, approved).get("reminded") is True
    assert complete_all(session, wf_engine, approved, reviewer, decision="approve") == ["Task_review", "Task_stamp"]
    assert status(session, approved) == "completed"
    rejected = run(session, wf_engine, "camunda_export.bpmn")
    assert complete_all(session, wf_engine, rejected, reviewer, decision="reject") == ["Task_review"]
    assert status(session, rejected) == "completed"
    assert final_data(session, wf_engine, rejected)["refused"] is True


def test_a_signavio_export_runs(session, wf_engine, clock):
    instance = run(session, wf_engine, "signavio_export.bpmn")
    [wait] = timers(session, instance.id)
    assert near(wait.due_at, clock() + timedelta(days=2))
    fire_until(session, wf_engine, clock, wait.due_at + timedelta(minutes=1))
    assert status(session, instance) == "completed"


def test_a_bizagi_export_runs(session, wf_engine):
    instance = run(session, wf_engine, "bizagi_export.bpmn")
    employee = Actor("emp", groups=frozenset({"Id_5f1c2a3b-0008-4a5b-9c8d-000000000008"}))
    assert complete_all(session, wf_engine, instance, employee, days=3) == ["Id_5f1c2a3b-0002-4a5b-9c8d-000000000002"]
    assert status(session, instance) == "completed"
    data = final_data(session, wf_engine, instance)
    assert data["filed"] is True and data["notified"] is True


def test_the_stored_diagram_is_the_file_as_exported(session, wf_engine):
    content = (MODELERS / "timer_iso_duration.bpmn").read_bytes()
    [result] = wf_engine.deploy(session, content, "timer_iso_duration.bpmn", actor="admin")
    assert result.definition.bpmn_xml == content.decode("utf-8")  # P7D stays unquoted


def test_the_abstract_tasks_setting_may_be_a_camunda_property(session, wf_engine):
    content = (MODELERS / "abstract_tasks_human.bpmn").read_bytes().replace(
        b"spiffworkflow:propert", b"camunda:propert").replace(
        b"<bpmn:definitions ", b'<bpmn:definitions xmlns:camunda="http://camunda.org/schema/1.0/bpmn" ')
    [result] = wf_engine.deploy(session, content, "camunda_style.bpmn", actor="admin")
    instance = wf_engine.start(session, result.definition.process_key, {}, actor=ADMIN)
    assert [t.bpmn_id for t in open_tasks(session, instance.id)] == ["Task_think"]


def test_a_timer_start_event_on_a_plain_date(session, wf_engine, clock):
    instance = run(session, wf_engine, "timer_start_date.bpmn")
    [start] = timers(session, instance.id)
    assert start.due_at == datetime(2026, 2, 1, tzinfo=UTC)
    fire_until(session, wf_engine, clock, datetime(2026, 2, 1, 0, 1, tzinfo=UTC))
    assert status(session, instance) == "completed"
    assert final_data(session, wf_engine, instance)["opened"] is True


def test_camunda_assignments_become_the_tasks_candidates_and_what_cannot_be_kept_is_refused(session, wf_engine):
    from engine import DeployError, NotAllowed

    instance = run(session, wf_engine, "camunda_export.bpmn")
    with pytest.raises(NotAllowed):  # the lane alone is not enough: the task names its own group
        complete_all(session, wf_engine, instance, Actor("lane", groups=frozenset({"Lane_reviewers"})))
    source = (MODELERS / "camunda_export.bpmn").read_text(encoding="utf-8")
    for changed, said in (('camunda:candidateGroups="reviewers,office"', "names 2 (reviewers, office)"),
                          ('camunda:candidateGroups="${reviewerGroup}"', "expression of another engine")):
        content = source.replace('camunda:candidateGroups="reviewers"', changed).encode()
        with pytest.raises(DeployError) as info:
            wf_engine.deploy(session, content, "camunda.bpmn", actor="admin")
        assert said in str(info.value) and "'Task_review'" in str(info.value)
        assert info.value.problems[0].hint
    assigned = source.replace('camunda:candidateGroups="reviewers"', 'camunda:assignee="zhang"').encode()
    wf_engine.deploy(session, assigned, "camunda.bpmn", actor="admin")
    started = wf_engine.start(session, "camunda_export", {"applicant": "A"}, actor=Actor("admin"))
    [task] = [t for t in open_tasks(session, started.id) if t.bpmn_id == "Task_review"]
    assert task.candidate_user == "zhang"


def test_plain_juel_conditions_and_timers_run_as_the_python_they_mean(session, wf_engine, clock):
    reviewer = Actor("rev", groups=frozenset({"reviewers", "Lane_reviewers"}))
    withdrawn = run(session, wf_engine, "camunda_juel.bpmn", {"reminderDelay": "PT2H", "withdrawn": True})
    [reminder] = timers(session, withdrawn.id)
    assert near(reminder.due_at, clock() + timedelta(hours=2))  # ${reminderDelay}
    # ${decision == 'approve' && !withdrawn} is false: the default flow refuses
    assert complete_all(session, wf_engine, withdrawn, reviewer, decision="approve") == ["Task_review"]
    assert final_data(session, wf_engine, withdrawn)["refused"] is True
    source = (MODELERS / "camunda_juel.bpmn").read_text(encoding="utf-8")
    called = source.replace("!withdrawn}", "!execution.getVariable(&quot;withdrawn&quot;)}").encode()
    (problem,) = check_diagram(called, "juel.bpmn")
    assert "condition" in problem.message and "only plain JUEL is translated" in (problem.hint or "")
