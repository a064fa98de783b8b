"""Claim, unclaim and complete rules, and a real race between two sessions."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select

from engine import ConflictError, NotAllowed, NotFound, TaskStateError, TaskStatus, WorkflowEngine
from engine.inbox import tasks_for
from engine.models import AuditEntry, HumanTask

from ..lifecycle_helpers import LEADER, OFFICER, OTHER_OFFICER, SUPERVISOR, deploy_lifecycle, open_tasks, start


@pytest.fixture
def instance(session, wf_engine):
    deploy_lifecycle(session, wf_engine)
    return start(session, wf_engine, measures=1)


def test_claim_then_complete(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    assert wf_engine.claim(session, task.id, OFFICER).assignee == "officer1"
    done = wf_engine.complete(session, task.id, OFFICER, {"progress": "ok", "evidence": []})
    assert done.status == TaskStatus.COMPLETED and done.completed_by == "officer1"
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.instance_id == instance.id)
                              .order_by(AuditEntry.id)).all()
    assert actions == ["start", "claim", "complete"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "complete")).one()
    assert entry.actor == "officer1" and entry.task_id == task.id and entry.detail["progress"] == "ok"


def test_completing_needs_the_claimant(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    with pytest.raises(TaskStateError, match="must be claimed"):
        wf_engine.complete(session, task.id, OFFICER, {"progress": "x"})
    wf_engine.claim(session, task.id, OFFICER)
    other = OFFICER.__class__("officer3", groups=OFFICER.groups, units=OFFICER.units)
    with pytest.raises(NotAllowed, match="claimed by officer1"):
        wf_engine.complete(session, task.id, other, {"progress": "x"})
    with pytest.raises(TaskStateError, match="already claimed"):
        wf_engine.claim(session, task.id, other)


def test_only_candidates_may_claim(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    with pytest.raises(NotAllowed):
        wf_engine.claim(session, task.id, OTHER_OFFICER)  # officer of another unit
    with pytest.raises(NotAllowed):
        wf_engine.claim(session, task.id, SUPERVISOR)  # wrong group
    assert tasks_for(session, OTHER_OFFICER) == []
    assert [t.id for t in tasks_for(session, OFFICER)] == [task.id]


def test_leader_task_goes_to_the_named_leader(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)
    wf_engine.complete(session, task.id, OFFICER, {"progress": "ok"})
    [approve] = open_tasks(session, instance.id)
    other_leader = LEADER.__class__("leader2", groups=LEADER.groups)
    assert tasks_for(session, other_leader) == []
    with pytest.raises(NotAllowed):
        wf_engine.claim(session, approve.id, other_leader)
    assert [t.id for t in tasks_for(session, LEADER)] == [approve.id]


def test_completed_stale_and_missing_tasks(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)
    wf_engine.complete(session, task.id, OFFICER, {"progress": "ok"})
    with pytest.raises(TaskStateError, match="already completed"):
        wf_engine.complete(session, task.id, OFFICER, {"progress": "again"})
    with pytest.raises(TaskStateError, match="already completed"):
        wf_engine.claim(session, task.id, OFFICER)
    with pytest.raises(NotFound):
        wf_engine.claim(session, 999_999, OFFICER)
    # A row the workflow no longer has as ready is stale: a clear error, nothing changes.
    [approve] = open_tasks(session, instance.id)
    wf_engine.claim(session, approve.id, LEADER)
    approve.task_guid = "00000000-0000-0000-0000-000000000000"
    session.flush()
    with pytest.raises(TaskStateError, match="stale"):
        wf_engine.complete(session, approve.id, LEADER, {"review_decision": "approve"})


def test_unclaim_returns_the_task(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)
    other = OFFICER.__class__("officer3", groups=OFFICER.groups, units=OFFICER.units)
    with pytest.raises(NotAllowed):
        wf_engine.unclaim(session, task.id, other)
    assert wf_engine.unclaim(session, task.id, OFFICER).assignee is None
    assert wf_engine.claim(session, task.id, other).assignee == "officer3"


def test_bad_task_data_is_refused_and_nothing_changes(session, wf_engine, instance):
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)
    with pytest.raises(TaskStateError, match="invalid field name"):
        wf_engine.complete(session, task.id, OFFICER, {"__class__": 1})
    with pytest.raises(TaskStateError, match="only text"):
        wf_engine.complete(session, task.id, OFFICER, {"progress": object()})
    assert session.get(HumanTask, task.id).status == TaskStatus.OPEN


def test_two_concurrent_claims_have_exactly_one_winner(committing_sessions, clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as s:
        deploy_lifecycle(s, engine)
        instance = start(s, engine, measures=1)
        [task] = open_tasks(s, instance.id)
        task_id = task.id
        s.commit()
    rivals = [OFFICER.__class__(f"officer{i}", groups=OFFICER.groups, units=OFFICER.units) for i in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(actor):
        with committing_sessions() as s:
            s.get(HumanTask, task_id)  # both have read the unclaimed row
            barrier.wait()
            try:
                engine.claim(s, task_id, actor)
                s.commit()
                outcomes.append("won")
            except (TaskStateError, ConflictError) as exc:
                s.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=attempt, args=(a,)) for a in rivals]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes)[-1] == "won" and outcomes.count("won") == 1, outcomes
    with committing_sessions() as s:
        assert s.get(HumanTask, task_id).assignee in {"officer0", "officer1"}


def test_concurrent_completions_on_one_instance_lose_no_update(committing_sessions, clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as s:
        deploy_lifecycle(s, engine)
        instance = start(s, engine, measures=2)
        ids = [t.id for t in open_tasks(s, instance.id)]
        for task_id in ids:
            engine.claim(s, task_id, OFFICER)
        s.commit()
        instance_id = instance.id
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def attempt(task_id):
        with committing_sessions() as s:
            s.get(HumanTask, task_id)
            barrier.wait()
            try:
                engine.complete(s, task_id, OFFICER, {"progress": "done"})
                s.commit()
                outcomes.append("ok")
            except ConflictError:
                s.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=attempt, args=(i,)) for i in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with committing_sessions() as s:
        completed = s.scalars(select(HumanTask).where(HumanTask.id.in_(ids),
                                                      HumanTask.status == TaskStatus.COMPLETED)).all()
        approvals = open_tasks(s, instance_id, "Task_approve_measure")
        # Every completion that reported success is in the workflow: one approval task each.
        assert len(completed) == outcomes.count("ok") >= 1
        assert len(approvals) == outcomes.count("ok")
