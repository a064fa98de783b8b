"""The admin's instance search and instance page, incidents (retry, skip with a reason) and the open
tasks list that leads to reassignment."""

from __future__ import annotations

from html import unescape

import pytest
from flask import Flask
from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, HumanTask, ProcessInstance, Timer
from engine.incidents import MAX_TIMER_ATTEMPTS
from engine.models import AuditEntry
from web.services import services
from workflows.models import Problem

from ..conftest import START
from .authorisation_world import World, build_world
from .conftest import make_test_app


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def page(world: World, path: str) -> str:
    response = world.clients["admin"].get(path)
    assert response.status_code == 200, (path, response.status_code)
    return unescape(response.get_data(as_text=True))


def incident(world: World) -> int:
    with services(world.app).unit_of_work() as session:
        timer_id = session.scalars(select(Timer.id).where(Timer.instance_id == world.instance_id)
                                   .order_by(Timer.id)).first()
        assert timer_id is not None
        session.execute(update(Timer).where(Timer.id == timer_id)
                        .values(attempts=MAX_TIMER_ATTEMPTS, last_error="'Timer_deadline' failed: <b>boom</b>"))
        return timer_id


def rows(html: str) -> int:
    return html.count('class="instance-row"')


def test_instances_are_found_by_business_key_problem_status_and_process(world: World) -> None:
    with services(world.app).unit_of_work() as session:
        problem_id = session.scalar(select(Problem.id).where(Problem.instance_id == world.instance_id))
    assert rows(page(world, "/admin/instances")) == 2
    assert rows(page(world, f"/admin/instances?business_key=problem:{problem_id}")) == 1
    assert rows(page(world, "/admin/instances?problem=1.1")) == 1  # ledger number: part 1, problem 1
    assert rows(page(world, "/admin/instances?problem=1.2")) == 1
    assert rows(page(world, "/admin/instances?problem=9.9")) == 0
    found = page(world, f"/admin/instances?problem=%23{problem_id}")  # a problem id
    assert rows(found) == 1 and f'data-instance-id="{world.instance_id}"' in found
    assert rows(page(world, "/admin/instances?problem=nonsense")) == 0
    assert rows(page(world, "/admin/instances?status=running&process_key=rectification")) == 2
    assert rows(page(world, "/admin/instances?status=completed")) == 0
    assert rows(page(world, "/admin/instances?status=bogus&page=x")) == 2  # bad values are ignored


def test_the_instance_page_shows_version_position_data_tasks_timers_and_audit(world: World) -> None:
    with services(world.app).unit_of_work() as session:
        instance = session.get(ProcessInstance, world.instance_id)
        assert instance is not None
        session.execute(update(ProcessInstance).where(ProcessInstance.id == world.instance_id)
                        .values(data={**instance.data, "note": "<script>alert(1)</script>"},
                                version=instance.version))
    response = world.clients["admin"].get(f"/admin/instances/{world.instance_id}")
    raw = response.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    html = unescape(raw)
    assert "运行流程 rectification 第 1 版" in html
    assert 'id="diagram-state"' in html and f"/admin/instances/{world.instance_id}/diagram.bpmn" in html
    assert "step-current" in html  # the list of steps marks where the instance is
    assert html.count('data-timer-row') >= 1 and "<td>启动流程</td>" in html  # timers, audit
    assert f"/tasks/{world.open_task['admin']}/reassign" in html
    xml = world.clients["admin"].get(f"/admin/instances/{world.instance_id}/diagram.bpmn")
    assert xml.status_code == 200 and b'id="rectification"' in xml.get_data()
    assert xml.headers["Content-Security-Policy"].startswith("sandbox")
    assert world.clients["admin"].get("/admin/instances/999999").status_code == 404


def test_an_incident_is_listed_retried_and_audited(world: World) -> None:
    timer = incident(world)
    raw = world.clients["admin"].get("/admin/incidents").get_data(as_text=True)
    assert "&lt;b&gt;boom&lt;/b&gt;" in raw and f"/admin/instances/{world.instance_id}" in raw
    assert world.clients["admin"].post(f"/admin/incidents/{timer}/retry").status_code == 303
    assert "将在下次调度时重试" in page(world, "/admin/incidents")
    assert "没有故障" in page(world, "/admin/incidents")
    with services(world.app).unit_of_work() as session:
        assert session.get(Timer, timer).attempts == 0  # type: ignore[union-attr]
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident_retry"))
        assert entry.actor == "admin"
    # Retrying what is no incident any more (another admin was first) is a 409 with a message.
    assert world.clients["admin"].post(f"/admin/incidents/{timer}/retry").status_code == 409


def test_skipping_an_incident_needs_a_reason_and_is_audited(world: World) -> None:
    timer = incident(world)
    response = world.clients["admin"].post(f"/admin/incidents/{timer}/skip", data={"reason": "  "},
                                           follow_redirects=True)
    assert "请填写跳过原因" in response.get_data(as_text=True)
    with services(world.app).unit_of_work() as session:
        assert session.get(Timer, timer).attempts == MAX_TIMER_ATTEMPTS  # type: ignore[union-attr]
    assert world.clients["admin"].post(f"/admin/incidents/{timer}/skip",
                                       data={"reason": "期限已人工处理"}).status_code == 303
    assert "不会再触发" in page(world, "/admin/incidents")
    with services(world.app).unit_of_work() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "incident_skip"))
        assert entry.actor == "admin" and entry.detail["reason"] == "期限已人工处理"
    assert world.clients["admin"].post(f"/admin/incidents/{timer}/skip",
                                       data={"reason": "again"}).status_code == 409


def test_open_tasks_are_searchable_and_lead_to_the_reassign_page(world: World) -> None:
    html = page(world, "/admin/tasks")
    with services(world.app).unit_of_work() as session:
        task = session.get(HumanTask, world.claimed_task["admin"])
        assert task is not None
        holder, name = task.assignee, task.name
    assert f"/tasks/{world.claimed_task['admin']}/reassign" in html
    held = page(world, f"/admin/tasks?holder={holder}")
    assert f'data-task-id="{world.claimed_task["admin"]}"' in held
    assert 'data-task-id="' in page(world, f"/admin/tasks?step={name[:4]}&unit=U1")
    assert "没有符合条件的待办任务" in page(world, "/admin/tasks?business_key=nothing-like-this")
    reassign = world.clients["admin"].get(f"/tasks/{world.claimed_task['admin']}/reassign")
    assert reassign.status_code == 200
