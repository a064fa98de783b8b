"""Reassigning a task in the browser (转办): the form, who may use it, refused input, CSRF."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.security import generate_password_hash

from engine import HumanTask
from engine.models import AuditEntry
from web.i18n import TEXTS
from web.services import services
from workflows.models import Person, Role
from workflows.people import create_unit, unit_by_code
from workflows.reassign import MESSAGES

from ..lifecycle_helpers import OFFICER, deploy_lifecycle, open_tasks, start, work
from .conftest import PASSWORD, make_test_app

# login -> (name, role, unit code); U1 is the task's unit.
PEOPLE = {
    "admin": ("系统管理员", Role.ADMIN, None),
    "leader1": ("李书记", Role.LEADER, "U1"),
    "leader2": ("陈副书记", Role.LEADER, "U2"),
    "officer1": ("王敏", Role.OFFICER, "U1"),
    "officer3": ("刘洋", Role.OFFICER, "U1"),
    "officer9": ("周杰", Role.OFFICER, "U2"),
    "ducha": ("赵督查", Role.SUPERVISION, None),
}


@cache
def _password_hash() -> str:
    return generate_password_hash(PASSWORD)  # once: a hash per person would slow every test


@dataclass
class Plan:
    app: Flask
    task_id: int  # officer1's unit's submission, unclaimed
    instance_id: int

    def client(self, login: str | None) -> FlaskClient:
        """A client signed in as ``login`` (``None``: signed out)."""
        client = self.app.test_client()
        if login is not None:
            assert client.post("/login", data={"login": login, "password": PASSWORD}).status_code == 302
        return client

    def task(self) -> HumanTask:
        with services(self.app).unit_of_work() as session:
            task = session.get(HumanTask, self.task_id)
            assert task is not None
            session.expunge(task)
            return task

    def reassignments(self) -> list[dict[str, object]]:
        with services(self.app).unit_of_work() as session:
            return [entry.detail or {} for entry in session.scalars(
                select(AuditEntry).where(AuditEntry.action == "reassign").order_by(AuditEntry.id))]


def _plan(app: Flask, sessions: sessionmaker[Session]) -> Plan:
    engine = services(app).workflow_engine
    with sessions.begin() as session:
        for code, name in (("U1", "综治科"), ("U2", "办公室")):
            create_unit(session, code, name)
        for login, (name, role, unit) in PEOPLE.items():
            session.add(Person(login=login, name=name, password_hash=_password_hash(), roles={role},
                               unit=unit_by_code(session, unit) if unit else None))
        deploy_lifecycle(session, engine)
        instance = start(session, engine, measures=1)
        [task] = open_tasks(session, instance.id, "Task_submit_progress")
        return Plan(app, task.id, instance.id)


@pytest.fixture
def plan(app: Flask, committing_sessions: sessionmaker[Session]) -> Plan:
    return _plan(app, committing_sessions)


def test_an_admin_hands_the_task_over_with_the_form(plan: Plan) -> None:
    admin = plan.client("admin")
    page = admin.get(f"/tasks/{plan.task_id}/reassign")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert 'name="to_login"' in html and 'name="reason"' in html
    assert "刘洋（综治科）" in html and "王敏（综治科）" in html and "周杰" not in html  # only U1's officers
    done = admin.post(f"/tasks/{plan.task_id}/reassign", data={"to_login": "officer3", "reason": "王敏出差"})
    assert done.status_code == 303 and done.headers["Location"] == f"/tasks/{plan.task_id}"
    assert "已转办给 刘洋。" in admin.get(done.headers["Location"]).get_data(as_text=True)
    assert plan.task().assignee == "officer3"
    assert plan.reassignments() == [{"from": None, "to": "officer3", "reason": "王敏出差"}]


def test_the_leader_of_the_unit_may_and_the_new_holder_can_then_complete(plan: Plan) -> None:
    response = plan.client("leader1").post(f"/tasks/{plan.task_id}/reassign",
                                           data={"to_login": "officer3", "reason": "工作调整"})
    assert response.status_code == 303
    assert plan.task().assignee == "officer3"
    holder = plan.client("officer3")
    assert holder.post(f"/tasks/{plan.task_id}/complete", data={"progress": "已完成"}).status_code < 400
    assert plan.task().completed_by == "officer3"


@pytest.mark.parametrize(("login", "status"), [
    ("officer1", 403),  # sees the task (their unit's), may not reassign it
    ("ducha", 403),  # supervision sees every task, may not reassign
    ("leader2", 404),  # a leader of another unit does not even see it
    ("officer9", 404),
])
def test_others_are_refused_and_nothing_changes(plan: Plan, login: str, status: int) -> None:
    client = plan.client(login)
    assert client.get(f"/tasks/{plan.task_id}/reassign").status_code == status
    response = client.post(f"/tasks/{plan.task_id}/reassign", data={"to_login": "officer3", "reason": "x"})
    assert response.status_code == status
    assert plan.task().assignee is None and plan.reassignments() == []


def test_the_signed_out_are_sent_to_sign_in(plan: Plan) -> None:
    response = plan.client(None).post(f"/tasks/{plan.task_id}/reassign", data={"to_login": "officer3", "reason": "x"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert plan.task().assignee is None


@pytest.mark.parametrize(("form", "message"), [
    ({"to_login": "officer3", "reason": "  "}, "请填写转办理由。"),
    ({"to_login": "officer9", "reason": "换人"}, "周杰 不能办理此任务：只能转办给可以领取该任务的人员。"),
    ({"to_login": "", "reason": "换人"}, "请选择转办给谁。"),
    ({"to_login": "officer3", "reason": "理" * 501}, "转办理由不能超过 500 字。"),
])
def test_refused_input_says_why_keeps_what_was_typed_and_changes_nothing(
    plan: Plan, form: dict[str, str], message: str
) -> None:
    response = plan.client("admin").post(f"/tasks/{plan.task_id}/reassign", data=form)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in html
    if form["to_login"] == "officer3":
        assert '<option value="officer3" selected>' in html
    if form["reason"].strip():
        assert form["reason"] in html
    assert plan.task().assignee is None and plan.reassignments() == []


def test_a_completed_task_cannot_be_reassigned(plan: Plan, committing_sessions: sessionmaker[Session]) -> None:
    with committing_sessions.begin() as session:
        task = session.get(HumanTask, plan.task_id)
        assert task is not None
        work(session, services(plan.app).workflow_engine, task, OFFICER, progress="done")
    admin = plan.client("admin")
    assert "此任务已办结或已取消，不能转办。" in admin.get(f"/tasks/{plan.task_id}/reassign").get_data(as_text=True)
    response = admin.post(f"/tasks/{plan.task_id}/reassign", data={"to_login": "officer3", "reason": "迟了"})
    assert response.status_code in (400, 409)
    assert plan.task().completed_by == "officer1" and plan.reassignments() == []


def test_a_forged_csrf_token_is_refused(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> None:
    plan = _plan(make_test_app(db_engine, WTF_CSRF_ENABLED=True), committing_sessions)
    client = plan.app.test_client()
    page = client.get("/login")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"login": "admin", "password": PASSWORD, "csrf_token": token}).status_code == 302
    forged = client.post(f"/tasks/{plan.task_id}/reassign",
                         data={"to_login": "officer3", "reason": "x", "csrf_token": "forged"})
    assert forged.status_code == 400
    assert plan.task().assignee is None and plan.reassignments() == []


def test_every_refusal_of_the_domain_is_translated_and_says_what_the_cli_says() -> None:
    for key, english in MESSAGES.items():
        assert TEXTS[key][1] == english, key
