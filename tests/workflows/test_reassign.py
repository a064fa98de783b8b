"""Who may reassign a task (转办), to whom, and why — on the real diagram."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import select

from engine import HumanTask, NotAllowed, TaskStateError
from engine.inbox import tasks_for
from engine.models import AuditEntry
from workflows.errors import ValidationError
from workflows.models import Person, Role
from workflows.people import actor_for, create_unit
from workflows.reassign import eligible_assignees, reassign_task

from ..lifecycle_helpers import deploy_lifecycle, open_tasks, start, work

# No one signs in here: one placeholder hash spares each test eight slow password hashes.
UNUSABLE_HASH = "scrypt:32768:8:1$placeholder$0"


@dataclass
class World:
    """The task's unit U1 (officers 王敏 officer1, 刘洋 officer3, leader 李书记 leader1), unit U2 and the rest."""

    people: dict[str, Person]
    submit: HumanTask  # the officer's task of unit U1, unclaimed
    instance_id: int  # the problem's lifecycle


@pytest.fixture
def world(session, wf_engine) -> World:
    u1, u2 = create_unit(session, "U1", "综治科"), create_unit(session, "U2", "办公室")
    people = {}
    for login, name, role, unit in [
        ("admin", "系统管理员", Role.ADMIN, None),
        ("leader1", "李书记", Role.LEADER, u1),
        ("leader2", "陈副书记", Role.LEADER, u2),
        ("officer1", "王敏", Role.OFFICER, u1),
        ("officer3", "刘洋", Role.OFFICER, u1),
        ("officer9", "周杰", Role.OFFICER, u2),
        ("retired", "吴芳", Role.OFFICER, u1),
        ("ducha", "赵督查", Role.SUPERVISION, None),
    ]:
        people[login] = Person(login=login, name=name, password_hash=UNUSABLE_HASH, unit=unit, roles={role})
        session.add(people[login])
    people["retired"].active = False
    session.flush()
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [submit] = open_tasks(session, instance.id, "Task_submit_progress")
    return World(people, submit, instance.id)


def _entries(session) -> list[AuditEntry]:
    return list(session.scalars(select(AuditEntry).where(AuditEntry.action == "reassign")))


def test_an_admin_hands_an_unclaimed_task_to_an_officer_of_its_unit(session, wf_engine, world):
    moved = reassign_task(session, wf_engine, world.submit.id, world.people["admin"], "officer3", "  王敏出差  ")
    assert moved.assignee == "officer3"
    # It is in the new holder's inbox as theirs ("我的待办"), not merely claimable.
    mine = tasks_for(session, actor_for(world.people["officer3"]), include_claimable=False)
    assert [t.id for t in mine] == [world.submit.id]
    [entry] = _entries(session)
    assert entry.actor == "admin" and entry.detail == {"from": None, "to": "officer3", "reason": "王敏出差"}


def test_the_leader_of_the_unit_takes_a_claimed_task_from_one_officer_to_another(session, wf_engine, world):
    officer1 = actor_for(world.people["officer1"])
    wf_engine.claim(session, world.submit.id, officer1)
    reassign_task(session, wf_engine, world.submit.id, actor_for(world.people["leader1"]), "officer3", "工作调整")
    assert tasks_for(session, officer1, include_claimable=False) == []
    assert [e.detail["from"] for e in _entries(session)] == ["officer1"]


@pytest.mark.parametrize("who", ["leader2", "officer1", "officer3", "ducha"])
def test_a_leader_of_another_unit_officers_and_supervision_may_not(session, wf_engine, world, who):
    with pytest.raises(NotAllowed, match="may not reassign"):
        reassign_task(session, wf_engine, world.submit.id, world.people[who], "officer3", "理由")
    assert session.get(HumanTask, world.submit.id).assignee is None
    assert _entries(session) == []


@pytest.mark.parametrize(("to_login", "reason", "message"), [
    ("officer9", "理由", "周杰 cannot work on this task"),  # an officer of another unit
    ("leader1", "理由", "李书记 cannot work on this task"),  # not an officer
    ("ducha", "理由", "赵督查 cannot work on this task"),
    ("retired", "理由", "no active person with login 'retired'"),
    ("nobody", "理由", "no active person with login 'nobody'"),
    ("", "理由", "choose the person"),
    ("officer3", "", "a reason is required"),
    ("officer3", " \n ", "a reason is required"),
    ("officer3", "理" * 501, "at most 500 characters"),
    ("officer3", "a\x00b", "cannot be stored"),
])
def test_a_target_who_could_not_work_on_it_or_a_missing_reason_is_refused(
    session, wf_engine, world, to_login, reason, message
):
    with pytest.raises(ValidationError, match=message):
        reassign_task(session, wf_engine, world.submit.id, world.people["admin"], to_login, reason)
    assert session.get(HumanTask, world.submit.id).assignee is None
    assert _entries(session) == []


def test_the_holder_is_not_offered_to_themselves(session, wf_engine, world):
    wf_engine.claim(session, world.submit.id, actor_for(world.people["officer1"]))
    with pytest.raises(ValidationError, match="王敏 already holds this task"):
        reassign_task(session, wf_engine, world.submit.id, world.people["admin"], "officer1", "理由")
    assert [p.login for p in eligible_assignees(session, world.submit)] == ["officer3"]


def test_eligible_people_are_the_active_candidates_of_the_task(session, wf_engine, world):
    assert [p.login for p in eligible_assignees(session, world.submit)] == ["officer3", "officer1"]
    # The leader's approval names one leader: only that leader can take it.
    work(session, wf_engine, world.submit, actor_for(world.people["officer1"]), progress="done")
    [approve] = open_tasks(session, world.instance_id, "Task_approve_measure")
    assert [p.login for p in eligible_assignees(session, approve)] == ["leader1"]
    assert eligible_assignees(session, world.submit) == []  # completed: nobody


def test_a_completed_task_cannot_be_reassigned(session, wf_engine, world):
    work(session, wf_engine, world.submit, actor_for(world.people["officer1"]), progress="done")
    with pytest.raises(TaskStateError, match="already completed"):
        reassign_task(session, wf_engine, world.submit.id, world.people["admin"], "officer3", "理由")
    assert session.get(HumanTask, world.submit.id).completed_by == "officer1"
    assert _entries(session) == []
