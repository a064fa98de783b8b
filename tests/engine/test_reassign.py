"""The engine's reassign (转办): one conditional UPDATE, audited, and races lost cleanly."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine import Actor, ConflictError, NotAllowed, NotFound, TaskStateError, TaskStatus, WorkflowEngine
from engine.inbox import tasks_for
from engine.models import AuditEntry, HumanTask

from ..lifecycle_helpers import LEADER, OFFICER, deploy_lifecycle, open_tasks, start

ADMIN = Actor("admin", groups=frozenset({"admin"}))
COLLEAGUE = Actor("officer3", groups=frozenset({"officer"}), units=frozenset({"U1"}))


@pytest.fixture
def task(session, wf_engine) -> HumanTask:
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [submit] = open_tasks(session, instance.id, "Task_submit_progress")
    return submit


def _reassign_entries(session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign").order_by(AuditEntry.id)))


def test_an_unclaimed_task_becomes_the_new_holders_and_the_audit_log_says_why(session, wf_engine, clock, task):
    clock.advance(hours=2)
    moved = wf_engine.reassign(session, task.id, "officer3", ADMIN, "王敏休假，由刘洋办理")
    assert (moved.assignee, moved.claimed_at, moved.status) == ("officer3", clock(), TaskStatus.OPEN)
    assert [t.id for t in tasks_for(session, COLLEAGUE, include_claimable=False)] == [task.id]
    [entry] = _reassign_entries(session)
    assert (entry.actor, entry.task_id, entry.at) == ("admin", task.id, clock())
    assert entry.detail == {"from": None, "to": "officer3", "reason": "王敏休假，由刘洋办理"}


def test_a_claimed_task_moves_and_only_the_new_holder_may_complete_it(session, wf_engine, task):
    wf_engine.claim(session, task.id, OFFICER)
    wf_engine.reassign(session, task.id, "officer3", ADMIN, "leave")
    assert tasks_for(session, OFFICER, include_claimable=False) == []
    with pytest.raises(NotAllowed):
        wf_engine.complete(session, task.id, OFFICER, {"progress": "done"})
    wf_engine.complete(session, task.id, COLLEAGUE, {"progress": "done"})
    assert session.get(HumanTask, task.id).completed_by == "officer3"
    assert _reassign_entries(session)[0].detail["from"] == "officer1"


def test_finished_missing_and_pointless_reassignments_are_refused_and_change_nothing(session, wf_engine, task):
    with pytest.raises(NotFound):
        wf_engine.reassign(session, 999_999, "officer3", ADMIN, "x")
    with pytest.raises(TaskStateError, match="reason is required"):
        wf_engine.reassign(session, task.id, "officer3", ADMIN, "   ")
    with pytest.raises(TaskStateError, match="longer than 500"):
        wf_engine.reassign(session, task.id, "officer3", ADMIN, "理" * 501)
    with pytest.raises(TaskStateError, match="NUL"):
        wf_engine.reassign(session, task.id, "officer3", ADMIN, "a\x00b")
    with pytest.raises(TaskStateError, match="new holder"):
        wf_engine.reassign(session, task.id, "", ADMIN, "x")
    wf_engine.claim(session, task.id, OFFICER)
    with pytest.raises(TaskStateError, match="already held by officer1"):
        wf_engine.reassign(session, task.id, "officer1", ADMIN, "x")
    wf_engine.complete(session, task.id, OFFICER, {"progress": "done"})
    with pytest.raises(TaskStateError, match="already completed"):
        wf_engine.reassign(session, task.id, "officer3", ADMIN, "x")
    assert session.get(HumanTask, task.id).completed_by == "officer1"
    assert _reassign_entries(session) == []


def test_a_claim_that_gets_there_first_wins_and_the_reassignment_is_a_conflict(committing_sessions, clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as s:
        deploy_lifecycle(s, engine)
        instance = start(s, engine, measures=1)
        [task] = open_tasks(s, instance.id)
        task_id = task.id
        s.commit()
    with committing_sessions() as slow, committing_sessions() as fast:
        seen = slow.get(HumanTask, task_id)  # the reassigner has read the unclaimed task (and holds it)
        assert seen.assignee is None
        engine.claim(fast, task_id, OFFICER)
        fast.commit()
        with pytest.raises((ConflictError, TaskStateError)):
            engine.reassign(slow, task_id, "officer3", ADMIN, "leave")
        slow.rollback()
    with committing_sessions() as s:
        assert s.get(HumanTask, task_id).assignee == "officer1"
        assert _reassign_entries(s) == []


def test_a_completion_that_gets_there_first_wins_and_the_reassignment_is_refused(committing_sessions, clock):
    engine = WorkflowEngine(clock=clock)
    with committing_sessions() as s:
        deploy_lifecycle(s, engine)
        instance = start(s, engine, measures=1)
        [task] = open_tasks(s, instance.id)
        task_id, instance_id = task.id, instance.id
        engine.claim(s, task_id, OFFICER)
        s.commit()
    with committing_sessions() as slow, committing_sessions() as fast:
        seen = slow.get(HumanTask, task_id)  # the reassigner has read the open, claimed task (and holds it)
        assert seen.status == TaskStatus.OPEN
        engine.complete(fast, task_id, OFFICER, {"progress": "done"})
        fast.commit()
        with pytest.raises((ConflictError, TaskStateError)):
            engine.reassign(slow, task_id, "officer3", ADMIN, "leave")
        slow.rollback()
    with committing_sessions() as s:
        done = s.get(HumanTask, task_id)
        assert (done.status, done.completed_by) == (TaskStatus.COMPLETED, "officer1")
        # The leader's approval went to the leader, untouched by the refused reassignment.
        [approve] = open_tasks(s, instance_id, "Task_approve_measure")
        assert approve.candidate_user == LEADER.key and approve.assignee is None
        assert _reassign_entries(s) == []
