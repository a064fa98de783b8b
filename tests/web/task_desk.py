"""The task page's test desk: the app on a fixed clock with the small plan running, a signed-in
browser per person, and what tests read off the pages (the form's inputs, tokens)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock, HumanTask
from engine.models import AuditEntry
from web.services import services
from workflows.models import Measure, Problem

from .conftest import PASSWORD
from .plan_helpers import RunningPlan, claim_as, complete_as, open_tasks


@dataclass
class Desk:
    """The app on a fixed clock, the running small plan, and one signed-in browser per person."""

    app: Flask
    sessions: sessionmaker[Session]
    clock: FixedClock
    plan: RunningPlan
    clients: dict[str, FlaskClient] = field(default_factory=dict)

    def browser(self, login: str) -> FlaskClient:
        if login not in self.clients:
            client = self.app.test_client()
            assert client.post("/login", data={"login": login, "password": PASSWORD}).status_code == 302
            self.clients[login] = client
        return self.clients[login]

    def page(self, login: str, task_id: int) -> TestResponse:
        return self.browser(login).get(f"/tasks/{task_id}")

    def post(self, login: str, task_id: int, data: dict[str, object], **kwargs: object) -> TestResponse:
        data = {"submission_token": "t" * 32, **data}
        return self.browser(login).post(f"/tasks/{task_id}/complete", data=data,
                                        content_type="multipart/form-data", **kwargs)

    def task(self, task_id: int) -> HumanTask:
        with self.sessions() as session:
            task = session.get(HumanTask, task_id)
            assert task is not None
            return task

    def completions(self) -> int:
        with self.sessions() as session:
            return session.scalar(select(func.count()).select_from(AuditEntry)
                                  .where(AuditEntry.action == "complete")) or 0


def submit_task(desk: Desk, unit: str = "U1") -> HumanTask:
    return open_tasks(desk.sessions, stage="measure_submit", unit=unit)[0]


def text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def fields_of(html: str) -> dict[str, str]:
    """The inputs of the page's task form: name -> kind (textarea, radio, checkbox, file, date, text)."""
    match = re.search(r'<form[^>]*class="task-form".*?</form>', html, re.S)
    if match is None:
        return {}
    found: dict[str, str] = {}
    for tag, attrs in re.findall(r"<(textarea|input)\b([^>]*)>", match.group(0)):
        name = re.search(r'name="([^"]+)"', attrs)
        kind = "textarea" if tag == "textarea" else re.search(r'type="([^"]+)"', attrs).group(1)  # type: ignore[union-attr]
        if name and kind != "hidden":
            found[name.group(1)] = kind
    return found


def fire_timers(desk: Desk, **delta: float) -> None:
    """Move the clock and fire what fell due; everyone signs in again (sessions end after hours)."""
    desk.clock.advance(**delta)
    desk.clients.clear()
    with desk.sessions.begin() as session:
        services(desk.app).workflow_engine.fire_due_timers(session)


def approve_all(desk: Desk, problem_id: int, leader: str = "leader1") -> None:
    """Every measure of the problem submitted by its officer and approved by its leader."""
    with desk.sessions() as session:
        keys = [m.item_key for m in session.scalars(select(Measure).where(Measure.problem_id == problem_id))]
    for key in keys:
        [task] = [t for t in open_tasks(desk.sessions, stage="measure_submit") if t.item_key == key]
        complete_as(desk.sessions, desk.clock, task.id, "officer1", progress="已完成", evidence=[])
        [review] = [t for t in open_tasks(desk.sessions, stage="measure_approve") if t.item_key == key]
        complete_as(desk.sessions, desk.clock, review.id, leader, review_decision="approve", reason=None)


def only(tasks: list[HumanTask]) -> HumanTask:
    assert len(tasks) == 1, tasks
    return tasks[0]


def instance_of(desk: Desk, problem_id: int) -> int:
    with desk.sessions() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None and problem.instance_id is not None
        return problem.instance_id


def approve_step(desk: Desk, submit_id: int) -> int:
    """The officer submits ``submit_id``; the leader claims the review; returns the review's id."""
    complete_as(desk.sessions, desk.clock, submit_id, "officer1", progress="已组织学习", evidence=[])
    item = desk.task(submit_id).item_key
    review = only([t for t in open_tasks(desk.sessions, stage="measure_approve") if t.item_key == item])
    claim_as(desk.sessions, desk.clock, review.id, "leader1")
    return review.id


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match is not None
    return match.group(1)


@contextlib.contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)
