"""The admin incidents page with failed service tasks: listed beside timers, retried (a new failure is
listed anew), skipped with a reason; the instance then goes on to its next task."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, FixedClock, HumanTask, TaskStatus, WorkflowEngine
from engine.models import AuditEntry, ServiceIncident
from engine.services import build_registry
from web.services import services

from ..conftest import START
from .authorisation_world import World, build_world
from .conftest import make_test_app

DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "services" / "svc_http_post.bpmn"


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    # http_post is not enabled (the default SERVICES): every start of the diagram is an incident.
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def failed_post(world: World) -> tuple[int, int]:
    """A started instance whose POST is refused: (instance id, incident id)."""
    with services(world.app).unit_of_work() as session:
        # Deployed where http_post was enabled; the app (default SERVICES) no longer allows it.
        deployer = WorkflowEngine(FixedClock(START), services=build_registry(["http_post"], http_hosts=["x.invalid"]))
        deployer.deploy_path(session, DIAGRAM, actor="admin")
        engine = services(world.app).workflow_engine
        instance = engine.start(session, "svc_http_post", {"url": "http://127.0.0.1/in", "case": "<i>C</i>"},
                                actor=Actor("admin"))
        [incident] = engine.service_incidents(session)
        return instance.id, incident.id


def page(world: World) -> str:
    response = world.clients["admin"].get("/admin/incidents")
    assert response.status_code == 200
    return unescape(response.get_data(as_text=True))


def test_a_failed_service_task_is_listed_retried_and_skipped(world: World) -> None:
    instance_id, incident_id = failed_post(world)
    listed = page(world)
    assert "服务任务" in listed and "Service_post" in listed and f"/admin/instances/{instance_id}" in listed
    assert "service 'http_post' is not enabled; enabled: notify, set_deadline" in listed
    assert f"/admin/service-incidents/{incident_id}/skip" in listed
    shown = world.clients["admin"].get(f"/admin/instances/{instance_id}")  # an instance waiting at a failed task
    assert shown.status_code == 200 and "Service_post" in shown.get_data(as_text=True)

    assert world.clients["admin"].post(f"/admin/service-incidents/{incident_id}/retry").status_code == 303
    listed = page(world)
    assert f"服务任务故障 {incident_id} 已重试" in listed
    with services(world.app).unit_of_work() as session:
        [again] = session.scalars(select(ServiceIncident).where(ServiceIncident.resolved_at.is_(None))).all()
    assert again.id != incident_id and f"/admin/service-incidents/{again.id}/retry" in listed
    assert world.clients["admin"].post(f"/admin/service-incidents/{incident_id}/retry").status_code == 409

    refused = world.clients["admin"].post(f"/admin/service-incidents/{again.id}/skip", data={"reason": " "},
                                          follow_redirects=True)
    assert "请填写跳过原因" in refused.get_data(as_text=True)
    assert world.clients["admin"].post(f"/admin/service-incidents/{again.id}/skip",
                                       data={"reason": "已人工转交"}).status_code == 303
    listed = page(world)
    assert "流程未调用该服务继续进行" in listed and "没有故障" in listed
    with services(world.app).unit_of_work() as session:
        [task] = session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                         HumanTask.status == TaskStatus.OPEN)).all()
        assert task.bpmn_id == "Task_check"
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "service_skip")).all()
        assert entry.actor == "admin" and entry.detail["reason"] == "已人工转交"
