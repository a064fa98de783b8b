"""The admin pages for processes, instances, incidents and open tasks with every role: only administrators
get in; everyone else gets 403, the signed out the sign-in page, and a refused request changes nothing
(the process versions, the timers and the audit log are compared before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import Actor, FixedClock, ProcessDefinition, Timer, WorkflowEngine
from engine.incidents import MAX_TIMER_ATTEMPTS
from engine.models import AuditEntry, ServiceIncident
from engine.services import build_registry
from web.services import services

from ..conftest import START
from .authorisation_world import ROLES, World, build_world
from .conftest import make_test_app

DIAGRAM = (Path(__file__).resolve().parents[2] / "bpmn" / "rectification.bpmn").read_bytes()
# Posts at once; deployed where http_post was enabled, run by the app, which does not enable it by default:
# every start is a service incident.
SERVICE_DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "services" / "svc_http_post.bpmn"


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def new_incident(world: World) -> int:
    """One of the world instance's timers, made an incident (its attempts exhausted); and a service incident."""
    with services(world.app).unit_of_work() as session:
        deployer = WorkflowEngine(FixedClock(START), services=build_registry(["http_post"], http_hosts=["x.invalid"]))
        deployer.deploy_path(session, SERVICE_DIAGRAM, actor="admin")
        services(world.app).workflow_engine.start(session, "svc_http_post", {"url": "http://127.0.0.1/", "case": "C"},
                                                  actor=Actor("admin"))
        timer_id = session.scalars(select(Timer.id).where(Timer.instance_id == world.instance_id)
                                   .order_by(Timer.id)).first()
        assert timer_id is not None
        session.execute(update(Timer).where(Timer.id == timer_id)
                        .values(attempts=MAX_TIMER_ATTEMPTS, last_error="'Timer_x' failed: boom"))
        return timer_id


def snapshot(world: World) -> tuple[Any, ...]:
    """The process versions, every timer's attempts and the audit log's length."""
    with services(world.app).unit_of_work() as session:
        versions = session.scalar(select(func.count()).select_from(ProcessDefinition))
        timers = session.execute(select(Timer.id, Timer.attempts).order_by(Timer.id)).all()
        audit = session.scalar(select(func.count()).select_from(AuditEntry))
        failed = session.execute(select(ServiceIncident.id, ServiceIncident.resolved_at).order_by(ServiceIncident.id))
        return (versions, tuple(timers), audit, tuple(failed.all()))


def newest_service_incident(world: World) -> int:
    with services(world.app).unit_of_work() as session:
        found = session.scalar(select(func.max(ServiceIncident.id)).where(ServiceIncident.resolved_at.is_(None)))
        assert found is not None
        return found


def _service_resolved(resolution: str) -> Callable[[World, int, TestResponse], None]:
    def check(world: World, timer: int, response: TestResponse) -> None:
        assert response.status_code == 303, response.status_code
        with services(world.app).unit_of_work() as session:
            newest = session.scalar(select(ServiceIncident).where(ServiceIncident.resolved_at.is_not(None))
                                    .order_by(ServiceIncident.resolved_at.desc(), ServiceIncident.id.desc()))
            assert newest is not None and (newest.resolution or "").startswith(resolution)
    return check


@dataclass(frozen=True)
class Route:
    """How a role calls the endpoint (given the world and an incident's timer id) and what success looks like."""

    path: Callable[[World, int], str]
    success: Callable[[World, int, TestResponse], None]
    data: Callable[[], dict[str, Any]] | None = None


def _page(words: str) -> Callable[[World, int, TestResponse], None]:
    def check(world: World, timer: int, response: TestResponse) -> None:
        assert response.status_code == 200, response.status_code
        assert words in response.get_data(as_text=True)
    return check


def _deployed(world: World, timer: int, response: TestResponse) -> None:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]


def _diagram(world: World, timer: int, response: TestResponse) -> None:
    assert response.status_code == 200 and response.mimetype == "application/xml"
    assert b"<bpmn:definitions" in response.get_data() or b"definitions" in response.get_data()


def _timer_attempts(expected: int) -> Callable[[World, int, TestResponse], None]:
    def check(world: World, timer: int, response: TestResponse) -> None:
        assert response.status_code == 303, response.status_code
        with services(world.app).unit_of_work() as session:
            row = session.get(Timer, timer)
            assert row is not None and row.attempts == expected
    return check


COVERED_ROUTES: dict[tuple[str, str], Route] = {
    ("admin.processes", "GET"): Route(lambda w, t: "/admin/processes", _page("rectification")),
    ("admin.deploy", "POST"): Route(lambda w, t: "/admin/processes", _deployed,
                                    data=lambda: {"diagram": (BytesIO(DIAGRAM + b"\n<!-- revised -->\n"),
                                                              "rectification.bpmn")}),
    ("admin.instances", "GET"): Route(lambda w, t: "/admin/instances", _page("rectification")),
    ("admin.instance", "GET"): Route(lambda w, t: f"/admin/instances/{w.instance_id}", _page("Timer")),
    ("admin.instance_diagram", "GET"): Route(lambda w, t: f"/admin/instances/{w.instance_id}/diagram.bpmn",
                                             _diagram),
    ("admin.incidents", "GET"): Route(lambda w, t: "/admin/incidents", _page("boom")),
    ("admin.retry_incident", "POST"): Route(lambda w, t: f"/admin/incidents/{t}/retry", _timer_attempts(0)),
    ("admin.skip_incident", "POST"): Route(lambda w, t: f"/admin/incidents/{t}/skip", _timer_attempts(1_000_000),
                                           data=lambda: {"reason": "handled by hand"}),
    ("admin.retry_service_incident", "POST"): Route(
        lambda w, t: f"/admin/service-incidents/{newest_service_incident(w)}/retry", _service_resolved("retried")),
    ("admin.skip_service_incident", "POST"): Route(
        lambda w, t: f"/admin/service-incidents/{newest_service_incident(w)}/skip", _service_resolved("skipped: by"),
        data=lambda: {"reason": "by hand"}),
    ("admin.tasks", "GET"): Route(lambda w, t: "/admin/tasks", _page("/reassign")),
}


@pytest.mark.parametrize("route", sorted(COVERED_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_only_administrators_manage_processes(world: World, route: tuple[str, str]) -> None:
    endpoint, method = route
    spec = COVERED_ROUTES[route]
    for role in ROLES:
        timer = new_incident(world)
        before = snapshot(world)
        data = spec.data() if spec.data else None
        response = world.clients[role].open(spec.path(world, timer), method=method, data=data)
        where = f"{method} {endpoint} as {role}"
        if role == "admin":
            spec.success(world, timer, response)
            continue
        if role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"
        assert snapshot(world) == before, f"{where} was refused but changed something"
