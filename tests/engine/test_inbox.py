"""The inbox query: every way a task can be someone's, and nothing else."""

from __future__ import annotations

import uuid

from engine import Actor, HumanTask, TaskStatus
from engine.inbox import tasks_for
from engine.models import task_is_claimable_by

from ..lifecycle_helpers import deploy_lifecycle, start

ME = Actor("me", groups=frozenset({"officer"}), units=frozenset({"U1"}))


def add(session, instance_id, name, **fields):
    task = HumanTask(instance_id=instance_id, task_guid=str(uuid.uuid4()), process_key="p", bpmn_id=name, name=name,
                     status=fields.pop("status", TaskStatus.OPEN), created_at=fields.pop("at"), **fields)
    session.add(task)
    return task


def test_inbox_lists_held_named_group_and_unit_tasks_only(session, wf_engine, clock):
    deploy_lifecycle(session, wf_engine)
    instance_id = start(session, wf_engine, measures=1).id
    session.query(HumanTask).delete()
    now = clock()
    mine = {
        add(session, instance_id, "held", assignee="me", candidate_group="leader", at=now),
        add(session, instance_id, "named", candidate_user="me", at=now),
        add(session, instance_id, "group, any unit", candidate_group="officer", at=now),
        add(session, instance_id, "group, my unit", candidate_group="officer", candidate_unit="U1", at=now),
    }
    not_mine = {
        add(session, instance_id, "held by another", assignee="you", candidate_group="officer", at=now),
        add(session, instance_id, "named for another", candidate_user="you", candidate_group="officer", at=now),
        add(session, instance_id, "other unit", candidate_group="officer", candidate_unit="U2", at=now),
        add(session, instance_id, "other group", candidate_group="supervision", at=now),
        add(session, instance_id, "no candidates", at=now),
        add(session, instance_id, "done", candidate_user="me", status=TaskStatus.COMPLETED, at=now),
    }
    session.flush()
    assert {t.name for t in tasks_for(session, ME)} == {t.name for t in mine}
    assert [t.name for t in tasks_for(session, ME, include_claimable=False)] == ["held"]
    # The SQL and the Python rule agree on every unclaimed open task.
    for task in mine | not_mine:
        if task.assignee is None and task.status == TaskStatus.OPEN:
            assert task_is_claimable_by(task, ME.key, ME.groups, ME.units) == (task in mine), task.name
