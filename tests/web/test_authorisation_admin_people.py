"""Every route of the admin area's people and units pages, walked with every role of
``authorisation_world`` and signed out: only administrators get in (others 403, the signed out are
sent to sign in), and a refused request changes no person, unit, password or audit entry.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock
from engine.models import AuditEntry
from web.services import services
from workflows.models import Person, Unit
from workflows.people import deactivate_person, person_by_login

from ..conftest import START
from .authorisation_world import COLLEAGUE, ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {
    ("admin.index", "GET"),
    ("admin.people", "GET"),
    ("admin.person_new", "GET"),
    ("admin.person_add", "POST"),
    ("admin.person_edit", "GET"),
    ("admin.person_update", "POST"),
    ("admin.person_deactivate", "POST"),
    ("admin.person_activate", "POST"),
    ("admin.person_password", "POST"),
    ("admin.people_import", "GET"),
    ("admin.people_import_post", "POST"),
    ("admin.units", "GET"),
    ("admin.unit_add", "POST"),
    ("admin.unit_rename", "POST"),
}
ADMIN = frozenset({"admin"})
RETIRED = "retired1"  # a deactivated person, for the activate route


@dataclass
class AdminWorld:
    world: World
    colleague_id: int
    retired_id: int

    def snapshot(self) -> tuple[object, ...]:
        with services(self.world.app).unit_of_work() as session:
            people = session.execute(select(Person.login, Person.name, Person.active, Person.roles_text,
                                            Person.unit_id, Person.password_hash).order_by(Person.login)).all()
            units = session.execute(select(Unit.code, Unit.name).order_by(Unit.code)).all()
            audit = session.scalar(select(func.count()).select_from(AuditEntry))
            return tuple(people), tuple(units), audit

    def person(self, login: str) -> Person:
        with services(self.world.app).unit_of_work() as session:
            found = person_by_login(session, login)
            assert found is not None
            session.expunge(found)
            return found


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def admin_world(app: Flask) -> AdminWorld:
    world = build_world(app)
    found = services(app)
    with app.app_context(), found.unit_of_work() as session:
        colleague = person_by_login(session, COLLEAGUE[0])
        assert colleague is not None
        retired = Person(login=RETIRED, name="退休者", password_hash=colleague.password_hash)
        retired.roles = colleague.roles
        session.add(retired)
        session.flush()
        deactivate_person(session, retired, actor="admin", at=START)
        return AdminWorld(world, colleague.id, retired.id)


def _ok(text: str) -> Callable[[AdminWorld, str, TestResponse], None]:
    def check(_w: AdminWorld, _role: str, response: TestResponse) -> None:
        assert response.status_code == 200, response.status_code
        assert text in response.get_data(as_text=True)
    return check


def _added(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert w.person(f"new_{role}").name == "新人"


def _updated(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    assert w.person(COLLEAGUE[0]).name == f"{role} 改的名字"


def _deactivated(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    assert not w.person(COLLEAGUE[0]).active


def _activated(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    assert w.person(RETIRED).active


def _password_reset(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert 'id="generated-password"' in response.get_data(as_text=True)


def _imported(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert w.person(f"imp_{role}").name == "导入者"


def _unit_added(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    with services(w.world.app).unit_of_work() as session:
        assert session.scalar(select(Unit.name).where(Unit.code == f"N_{role}")) == f"{role} 新单位"


def _unit_renamed(w: AdminWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    with services(w.world.app).unit_of_work() as session:
        assert session.scalar(select(Unit.name).where(Unit.code == "U2")) == f"{role} 改名"


def _sheet(role: str) -> str:
    csv = f"登录名,姓名,单位,角色\nimp_{role},导入者,U1,经办人\n"
    return base64.b64encode(csv.encode("utf-8")).decode("ascii")


@dataclass(frozen=True)
class Route:
    path: Callable[[AdminWorld, str], str]
    success: Callable[[AdminWorld, str, TestResponse], None]
    data: Callable[[AdminWorld, str], dict[str, Any]] | None = None


ROUTES: dict[tuple[str, str], Route] = {
    ("admin.index", "GET"): Route(lambda w, r: "/admin", _ok("在用人员")),
    ("admin.people", "GET"): Route(lambda w, r: "/admin/people", _ok(COLLEAGUE[1])),
    ("admin.person_new", "GET"): Route(lambda w, r: "/admin/people/new", _ok('name="login"')),
    ("admin.person_add", "POST"): Route(lambda w, r: "/admin/people/new", _added,
                                        data=lambda w, r: {"login": f"new_{r}", "name": "新人", "roles": "officer"}),
    ("admin.person_edit", "GET"): Route(lambda w, r: f"/admin/people/{w.colleague_id}", _ok(COLLEAGUE[1])),
    ("admin.person_update", "POST"): Route(lambda w, r: f"/admin/people/{w.colleague_id}", _updated,
                                           data=lambda w, r: {"name": f"{r} 改的名字", "unit": "U1",
                                                              "roles": "officer"}),
    ("admin.person_deactivate", "POST"): Route(lambda w, r: f"/admin/people/{w.colleague_id}/deactivate",
                                               _deactivated),
    ("admin.person_activate", "POST"): Route(lambda w, r: f"/admin/people/{w.retired_id}/activate", _activated),
    ("admin.person_password", "POST"): Route(lambda w, r: f"/admin/people/{w.colleague_id}/password",
                                             _password_reset, data=lambda w, r: {"password": ""}),
    ("admin.people_import", "GET"): Route(lambda w, r: "/admin/people/import", _ok('type="file"')),
    ("admin.people_import_post", "POST"): Route(lambda w, r: "/admin/people/import", _imported,
                                                data=lambda w, r: {"step": "apply", "name": "人员.csv",
                                                                   "data": _sheet(r)}),
    ("admin.units", "GET"): Route(lambda w, r: "/admin/units", _ok("综治科")),
    ("admin.unit_add", "POST"): Route(lambda w, r: "/admin/units", _unit_added,
                                      data=lambda w, r: {"code": f"N_{r}", "name": f"{r} 新单位"}),
    ("admin.unit_rename", "POST"): Route(lambda w, r: "/admin/units/U2/rename", _unit_renamed,
                                         data=lambda w, r: {"name": f"{r} 改名"}),
}


def test_the_table_covers_every_route_of_these_pages(app: Flask) -> None:
    mine = {endpoint for endpoint, _ in COVERED_ROUTES}
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint in mine
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    assert registered == COVERED_ROUTES == set(ROUTES)


def _call(w: AdminWorld, role: str, method: str, path: str, data: dict[str, Any] | None) -> TestResponse:
    response = w.world.clients[role].open(path, method=method, data=data)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_only_administrators_get_in_and_refusals_change_nothing(admin_world: AdminWorld,
                                                                route: tuple[str, str]) -> None:
    endpoint, method = route
    spec = ROUTES[route]
    for role in ROLES:
        before = admin_world.snapshot()
        data = spec.data(admin_world, role) if spec.data else None
        response = _call(admin_world, role, method, spec.path(admin_world, role), data)
        where = f"{method} {endpoint} as {role}"
        if role in ADMIN:
            spec.success(admin_world, role, response)
            continue
        if role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"
        assert admin_world.snapshot() == before, f"{where} was refused but changed something"
