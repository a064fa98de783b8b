"""A running problem and one signed-in client per role, for walking every route with every role.

One problem of unit U1 (综治科) with many measures, so that every role acts on a task of
its own in the same state (an open task each, a task claimed by the unit's officer each):
one role's success cannot change what the next role meets. Measure 1 has been submitted
with an evidence file, so its leader has an approval task in the problem and the problem
has a completed task and a stored file.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from unittest import mock

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.security import generate_password_hash

from engine import Actor, HumanTask, TaskStatus
from web.evidence.uploads import evidence_store
from web.services import services
from workflows.evidence import Upload
from workflows.models import Evidence, Role
from workflows.people import actor_for, create_person, create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch
from workflows.schema import deploy_bundled
from workflows.stages import Stage
from workflows.tasks import Submission, submit

from .conftest import PASSWORD

# The roles of issue 8's walk; "leader" is the problem's responsible leader (of the inspected
# unit, as in the demo), "unit_leader" a leader of the task's unit (who may reassign its tasks),
# "other_leader" the leader of another problem (who must see no more than an outside officer).
ROLES = ("officer_own", "officer_other", "leader", "unit_leader", "other_leader", "supervision", "admin",
         "signed_out")
SIGNED_IN = ROLES[:-1]
# role -> (login, name, roles, unit code)
PEOPLE: dict[str, tuple[str, str, Role, str]] = {
    "officer_own": ("officer1", "刘洋", Role.OFFICER, "U1"),
    "officer_other": ("officer2", "王敏", Role.OFFICER, "U2"),
    "leader": ("leader1", "李书记", Role.LEADER, "ZFW"),
    "unit_leader": ("leader3", "孙科长", Role.LEADER, "U1"),
    "other_leader": ("leader2", "陈副书记", Role.LEADER, "ZFW"),
    "supervision": ("ducha", "赵督查", Role.SUPERVISION, "XCB"),
    "admin": ("admin", "系统管理员", Role.ADMIN, "XCB"),
}
COLLEAGUE = ("officer3", "黄婷")  # a second officer of U1: whom a task is handed to (转办)
UNITS = {"U1": "综治科", "U2": "办公室", "ZFW": "区委政法委", "XCB": "区委巡察办"}
MEASURE_TEXT = "每两个月组织一次中心组集中学习"
OTHER_MEASURE_TEXT = "建立请休假台账，每半年汇总"
EVIDENCE_NAME = "学习记录.pdf"
EVIDENCE_BYTES = b"%PDF-1.4\n% Rectiflow authorisation test\n%%EOF\n"


@dataclass
class World:
    """The problem's tasks, by what a role does to them."""

    app: Flask
    instance_id: int
    open_task: dict[str, int] = field(default_factory=dict)  # unclaimed submit task, one per role
    claimed_task: dict[str, int] = field(default_factory=dict)  # claimed by officer_own, one per role
    approval_task: int = 0  # the leader's open approval of measure 1
    done_task: int = 0  # officer_own's completed submission of measure 1
    evidence_id: int = 0  # the file submitted with it
    other_problem_task: int = 0  # an open task of the other leader's problem (unit U2)
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def task(self, task_id: int) -> HumanTask:
        """The task as the database has it now."""
        with services(self.app).unit_of_work() as session:
            found = session.get(HumanTask, task_id)
            assert found is not None
            session.expunge(found)
            return found

    def snapshot(self) -> tuple[object, ...]:
        """Everything a wrongly allowed request could change: every task's state and the evidence rows."""
        with services(self.app).unit_of_work() as session:
            tasks = session.execute(
                select(HumanTask.id, HumanTask.status, HumanTask.assignee, HumanTask.completed_by,
                       HumanTask.candidate_user).order_by(HumanTask.id)
            ).all()
            evidence = session.scalar(select(func.count()).select_from(Evidence))
            return (tuple(tasks), evidence)


def build_world(app: Flask) -> World:
    """Deploy, add the people and the problems, launch, submit measure 1, sign everyone in.

    The clients sign in outside the app context the set-up runs in: requests inside it would
    share its ``g`` (the request's database session, the CSRF token) with one another.
    """
    found = services(app)
    engine = found.workflow_engine
    # One cheap hash for everyone: scrypt would spend most of the test's time on passwords.
    with (app.app_context(), found.unit_of_work() as session,
          mock.patch("workflows.people.generate_password_hash", _cheap_hash)):
        deploy_bundled(session, engine, actor="admin")
        units = {code: create_unit(session, code, name) for code, name in UNITS.items()}
        people = {
            role: create_person(session, login=login, name=name, password=PASSWORD, roles=[r], unit=units[code])
            for role, (login, name, r, code) in PEOPLE.items()
        }
        create_person(session, login=COLLEAGUE[0], name=COLLEAGUE[1], password=PASSWORD,
                      roles=[Role.OFFICER], unit=units["U1"])
        round_ = create_round(
            session, title="区委第二巡察组反馈意见整改", at=engine.clock(), inspecting_group="区委第二巡察组",
            inspected_unit=units["ZFW"], period_start=date(2025, 3, 3), period_end=date(2025, 4, 30),
            feedback_date=date(2025, 6, 10), signatory="中共某区委政法委员会",
            contacts={"phone": "020-12345678", "post": "某区某路1号", "postcode": "510000", "email": "a@b.cn"},
        )
        part = add_part(session, round_, "党的领导方面")
        problem = add_problem(session, part, "理论学习不够深入", leader=people["leader"], lead_unit=units["U1"])
        # Measure 1 is submitted below; then one open and one claimed measure for every role.
        for n in range(1 + 2 * len(ROLES)):
            add_measure(session, problem, f"{MEASURE_TEXT}（{n + 1}）", deadline=date(2026, 6, 30),
                        units=[units["U1"]])
        other = add_problem(session, part, "请休假管理不到位", leader=people["other_leader"],
                            lead_unit=units["U2"])
        add_measure(session, other, OTHER_MEASURE_TEXT, deadline=date(2026, 6, 30), units=[units["U2"]])
        launch(session, engine, round_, Actor("admin", groups=frozenset({Role.ADMIN.value})))
        world = World(app=app, instance_id=problem.instance_id or 0)
        officer = actor_for(people["officer_own"])
        _arrange_tasks(session, world, officer, other.instance_id or 0)
    world.clients = {role: _signed_in(app, role) for role in ROLES}
    return world


def _cheap_hash(password: str) -> str:
    return generate_password_hash(password, method="pbkdf2:sha256:1")


def _arrange_tasks(session: Session, world: World, officer: Actor, other_instance: int) -> None:
    engine = services(world.app).workflow_engine
    submits = _open(session, world.instance_id, Stage.MEASURE_SUBMIT)
    first, rest = submits[0], submits[1:]
    engine.claim(session, first.id, officer)
    # Submitted as the task page submits: the typed progress and an uploaded file.
    upload = Upload(filename=EVIDENCE_NAME, stream=io.BytesIO(EVIDENCE_BYTES), content_type="application/pdf")
    submit(session, engine, first.id, officer, Submission({"progress": "已组织集中学习"}, [upload]),
           store=evidence_store(), now=engine.clock())
    world.done_task = first.id
    world.evidence_id = session.scalars(select(Evidence.id).where(Evidence.task_id == first.id)).one()
    for role, task in zip(ROLES, rest[: len(ROLES)], strict=True):
        world.open_task[role] = task.id
    for role, task in zip(ROLES, rest[len(ROLES):], strict=True):
        engine.claim(session, task.id, officer)
        world.claimed_task[role] = task.id
    world.approval_task = _open(session, world.instance_id, Stage.MEASURE_APPROVE)[0].id
    world.other_problem_task = _open(session, other_instance, Stage.MEASURE_SUBMIT)[0].id


def _open(session: Session, instance_id: int, stage: Stage) -> list[HumanTask]:
    return list(session.scalars(
        select(HumanTask).where(HumanTask.instance_id == instance_id, HumanTask.stage == stage.value,
                                HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)
    ))


def _signed_in(app: Flask, role: str) -> FlaskClient:
    client = app.test_client()
    if role != "signed_out":
        sign_in(client, PEOPLE[role][0])
    return client


def sign_in(client: FlaskClient, login: str) -> None:
    """Sign in through the login form, with its CSRF token when the app checks them."""
    form = {"login": login, "password": PASSWORD}
    token = csrf_token(client.get("/login").get_data(as_text=True))
    if token is not None:
        form["csrf_token"] = token
    response = client.post("/login", data=form)
    shown = re.findall(r"<p[^>]*>(.*?)</p>", response.get_data(as_text=True))
    assert response.status_code == 302, f"{login} could not sign in: {response.status_code} {shown}"


def csrf_token(page: str) -> str | None:
    """The CSRF token of the first form on ``page`` (None when the app has CSRF off)."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    return found.group(1) if found else None
