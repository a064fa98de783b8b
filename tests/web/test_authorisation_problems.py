"""The problem page's routes with every role: who may see a problem (``workflows.ledger_scope``) gets its
page and its diagram; anyone else gets the 404 a missing problem gets, the signed out the sign-in page,
and no request changes anything."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock
from web.services import services
from workflows.models import Problem

from ..conftest import START
from .authorisation_world import MEASURE_TEXT, OTHER_MEASURE_TEXT, ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {("problems.show", "GET"), ("problems.diagram", "GET")}
# Who sees problem P (unit U1, responsible leader leader1): its unit's officer and leader, its
# responsible leader, supervision and administrators (``can_view_problem``).
SEES_PROBLEM = frozenset({"officer_own", "leader", "unit_leader", "supervision", "admin"})
PATHS = {("problems.show", "GET"): "/problems/{id}", ("problems.diagram", "GET"): "/problems/{id}/diagram.bpmn"}


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def problem_ids(world: World) -> tuple[int, int]:
    """(problem P, the other leader's problem of unit U2)."""
    with services(world.app).unit_of_work() as session:
        mine = session.scalars(select(Problem.id).where(Problem.instance_id == world.instance_id)).one()
        other = session.scalars(select(Problem.id).where(Problem.id != mine)).one()
        return mine, other


def _get(client: FlaskClient, path: str) -> TestResponse:
    response = client.get(path)
    response.get_data()
    response.close()
    return response


def _succeeded(endpoint: str, response: TestResponse, text: str) -> None:
    assert response.status_code == 200, response.status_code
    body = response.get_data(as_text=True)
    if endpoint == "problems.show":
        assert text in body
    else:
        assert response.mimetype == "application/xml" and "<bpmn:definitions" in body


def test_the_walk_covers_every_route_of_the_area(app: Flask) -> None:
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("problems.")
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    assert registered == COVERED_ROUTES


@pytest.mark.parametrize("route", sorted(COVERED_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_each_role_sees_the_problem_or_gets_404_and_nothing_changes(world: World, route: tuple[str, str]) -> None:
    endpoint, _method = route
    mine, _other = problem_ids(world)
    for role in ROLES:
        before = world.snapshot()
        response = _get(world.clients[role], PATHS[route].format(id=mine))
        where = f"{endpoint} as {role}"
        if role in SEES_PROBLEM:
            _succeeded(endpoint, response, MEASURE_TEXT)
        elif role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 404, f"{where}: {response.status_code}"
            assert MEASURE_TEXT not in response.get_data(as_text=True), where
        assert world.snapshot() == before, f"{where} changed something"


def test_a_missing_problem_answers_like_a_hidden_one(world: World) -> None:
    for role in ROLES:
        for route in sorted(COVERED_ROUTES):
            response = _get(world.clients[role], PATHS[route].format(id=987654))
            expected = 302 if role == "signed_out" else 404
            assert response.status_code == expected, (role, route, response.status_code)


def test_the_other_unit_sees_its_own_problem_and_not_this_one(world: World) -> None:
    _mine, other = problem_ids(world)
    for role in ("officer_other", "other_leader", "supervision"):
        _succeeded("problems.show", _get(world.clients[role], f"/problems/{other}"), OTHER_MEASURE_TEXT)
    for role in ("officer_own", "unit_leader", "leader"):
        assert _get(world.clients[role], f"/problems/{other}").status_code == 404, role
