"""The reminders page (``/reminders``) and the header's unread badge: each person sees only their own,
newest first, unread ones marked, each leading to its task when the person may see it; marking one or
all read is a POST with the page's CSRF token; Chinese first, English with ``?lang=en``.

The small plan of ``tests/workflows/deadline_world`` at 2026-04-01: officer1 张干事 was warned of 1.1.1
on 03-21 and told it is overdue on 04-01; leader1 李书记 got the overdue reminder too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, HumanTask, TaskStatus
from web.reminder_jobs import run_reminder_jobs
from web.services import services
from workflows.models import Reminder

from ..conftest import START
from ..workflows.deadline_world import make_world
from .authorisation_world import csrf_token, sign_in
from .conftest import make_test_app

WARNING = "【临期预警】1.1.1 理论学习不够深入：整改时限 2026-03-31（剩余 10 天）"
OVERDUE = "【逾期督办】1.1.1 理论学习不够深入：整改时限 2026-03-31（已逾期 1 天）"


@dataclass
class Desk:
    app: Flask
    submit_task: int  # the open task of 1.1.1

    def client(self, login: str) -> FlaskClient:
        client = self.app.test_client()
        sign_in(client, login)
        return client

    def reminders(self, login: str) -> list[Reminder]:
        with services(self.app).unit_of_work() as session:
            rows = list(session.scalars(select(Reminder).where(Reminder.recipient == login).order_by(Reminder.id)))
            session.expunge_all()
            return rows


def desk(db_engine: Engine, **config: object) -> Desk:
    """The plan, with the reminders of 2026-03-21 and 2026-04-01 created by the scheduler's job."""
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, **config)
    found = services(app)
    with found.unit_of_work() as session:
        world = make_world(session, found.workflow_engine)
        key = world.plan.studying.measures[0].item_key
    for when in (datetime(2026, 3, 21, 1, tzinfo=UTC), datetime(2026, 4, 1, 1, tzinfo=UTC)):
        clock.set(when)
        with found.unit_of_work() as session:
            found.workflow_engine.fire_due_timers(session, when)
        run_reminder_jobs(found, when)
    with found.unit_of_work() as session:
        task = session.scalars(select(HumanTask.id).where(HumanTask.item_key == key,
                                                          HumanTask.status == TaskStatus.OPEN)).one()
    return Desk(app, task)


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Desk:
    return desk(db_engine)


def items(page: str) -> list[str]:
    """Each reminder on the page: its text, tags stripped and spaces squeezed."""
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split())
            for item in re.findall(r'<li class="reminder .*?</li>', page, re.DOTALL)]


def badge(page: str) -> int | None:
    found = re.search(r'class="reminder-badge[^"]*"[^>]*>(\d+)<', page)
    return int(found.group(1)) if found else None


def test_a_person_sees_their_own_reminders_newest_first_with_unread_marked(world: Desk) -> None:
    page = world.client("officer1").get("/reminders").get_data(as_text=True)
    listed = items(page)
    assert [OVERDUE in listed[0], WARNING in listed[1]] == [True, True] and len(listed) == 2
    assert all(text.startswith("未读") for text in listed)
    assert "未读 2 条，共 2 条" in page and badge(page) == 2
    assert f'href="/tasks/{world.submit_task}"' in page  # leads to the task of 1.1.1
    assert "每两个月组织一次中心组集中学习" in page  # the body, under 详情
    leader = world.client("leader1").get("/reminders").get_data(as_text=True)
    assert [OVERDUE in text for text in items(leader)] == [True] and WARNING not in leader


def test_the_header_counts_unread_reminders_on_every_page(world: Desk) -> None:
    officer = world.client("officer1")
    inbox = officer.get("/").get_data(as_text=True)
    assert badge(inbox) == 2 and 'href="/reminders"' in inbox
    task_page = officer.get(f"/tasks/{world.submit_task}").get_data(as_text=True)
    assert badge(task_page) == 2
    assert badge(world.client("sup1").get("/").get_data(as_text=True)) == 0


def test_marking_one_and_then_all_read(world: Desk) -> None:
    officer = world.client("officer1")
    first, second = world.reminders("officer1")
    response = officer.post("/reminders/read", data={"reminder_id": str(first.id)})
    assert response.status_code == 302 and response.headers["Location"] == "/reminders"
    page = officer.get("/reminders").get_data(as_text=True)
    assert badge(page) == 1 and "已将 1 条提醒标为已读。" in page
    assert items(page)[1].startswith("临期预警") and "已读于 2026-04-01" in items(page)[1]
    officer.post("/reminders/read")
    page = officer.get("/reminders").get_data(as_text=True)
    assert badge(page) == 0 and "未读 0 条，共 2 条" in page and "全部标为已读" not in page
    assert all(r.read_at is not None for r in world.reminders("officer1"))
    assert all(r.read_at is None for r in world.reminders("leader1"))  # only one's own


def test_someone_elses_reminder_is_not_found_and_stays_unread(world: Desk) -> None:
    [theirs] = world.reminders("leader1")
    officer = world.client("officer1")
    for value in (str(theirs.id), "999999", "abc", "1" * 40):
        assert officer.post("/reminders/read", data={"reminder_id": value}).status_code == 404, value
    assert world.reminders("leader1")[0].read_at is None
    assert all(r.read_at is None for r in world.reminders("officer1"))


def test_marking_read_needs_the_page_csrf_token(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> None:
    world = desk(db_engine, WTF_CSRF_ENABLED=True)
    officer = world.client("officer1")
    assert officer.post("/reminders/read", data={"csrf_token": "forged"}).status_code == 400
    assert all(r.read_at is None for r in world.reminders("officer1"))
    token = csrf_token(officer.get("/reminders").get_data(as_text=True))
    assert officer.post("/reminders/read", data={"csrf_token": token}).status_code == 302
    assert all(r.read_at is not None for r in world.reminders("officer1"))


def test_english_with_lang_en(world: Desk) -> None:
    page = world.client("officer1").get("/reminders?lang=en").get_data(as_text=True)
    assert "<h1>Reminders</h1>" in page and "2 unread of 2" in page and "Mark all as read" in page
    assert "Deadline near" in page and "Overdue" in page
    assert WARNING in page  # the reminder itself stays as it was sent


def test_someone_without_reminders_is_told_what_will_appear(world: Desk) -> None:
    page = world.client("sup1").get("/reminders").get_data(as_text=True)
    assert items(page) == [] and "暂无提醒" in page
