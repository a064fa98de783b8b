"""Who may call the API's resource routes, walked with every role of the authorisation world through
the browser session (tokens are walked by the token work's own test).

Rounds, problems, measures and one's reminders: every signed-in person, each seeing only what
``workflows.ledger_scope`` allows (problem P for U1's officer and leader and for leader1, the other
problem for U2's officer and leader2, both for supervision and administrators; an invisible one is
a 404). Instances and process definitions, sending messages and signals: supervision and administrators
(others 403); deploying: administrators. Signed out: 401 in JSON, never a redirect to the sign-in page. Refusals change
nothing, and reading changes nothing.
"""

from __future__ import annotations

import io

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock, ProcessDefinition
from web.services import services
from workflows.api_tokens import create_token, revoke_token
from workflows.models import InspectionRound, Measure, Person, Problem
from workflows.people import actor_for
from workflows.schema import BPMN_DIR

from ..conftest import START
from .authorisation_world import ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {
    ("api.rounds", "GET"), ("api.round_detail", "GET"),
    ("api.problems", "GET"), ("api.problem_detail", "GET"), ("api.measure_detail", "GET"),
    ("api.instances", "GET"), ("api.instance_detail", "GET"),
    ("api.process_definitions", "GET"), ("api.deploy_definition", "POST"),
    ("api.reminders", "GET"), ("api.reminders_read", "POST"),
    ("api.send_message", "POST"), ("api.send_signal", "POST"),
}
API = "/api/v1"
PROBLEM_P, OTHER = "理论学习不够深入", "请休假管理不到位"
SEES = {
    "officer_own": {PROBLEM_P}, "officer_other": {OTHER}, "leader": {PROBLEM_P}, "unit_leader": {PROBLEM_P},
    "other_leader": {OTHER}, "supervision": {PROBLEM_P, OTHER}, "admin": {PROBLEM_P, OTHER},
}
SUPERVISORS = {"supervision", "admin"}


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    return build_world(make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START)))


def ids(world: World) -> tuple[int, int, int]:
    """The round, problem P and P's first measure."""
    with services(world.app).unit_of_work() as session:
        round_id = session.scalars(select(InspectionRound.id)).one()
        problem = session.scalars(select(Problem.id).where(Problem.title == PROBLEM_P)).one()
        measure = session.scalars(select(Measure.id).where(Measure.problem_id == problem).order_by(Measure.id)).first()
        assert measure is not None
        return round_id, problem, measure


def definitions(world: World) -> int:
    with services(world.app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def calls(client: FlaskClient, world: World) -> dict[tuple[str, str], TestResponse]:
    """One request to each covered route."""
    round_id, problem, measure = ids(world)
    diagram = (BPMN_DIR / "rectification.bpmn").read_bytes()  # deployed already: a no-op even when allowed
    return {
        ("api.rounds", "GET"): client.get(f"{API}/rounds"),
        ("api.round_detail", "GET"): client.get(f"{API}/rounds/{round_id}"),
        ("api.problems", "GET"): client.get(f"{API}/problems"),
        ("api.problem_detail", "GET"): client.get(f"{API}/problems/{problem}"),
        ("api.measure_detail", "GET"): client.get(f"{API}/measures/{measure}"),
        ("api.instances", "GET"): client.get(f"{API}/instances"),
        ("api.instance_detail", "GET"): client.get(f"{API}/instances/{world.instance_id}"),
        ("api.process_definitions", "GET"): client.get(f"{API}/process-definitions"),
        ("api.deploy_definition", "POST"): client.post(
            f"{API}/process-definitions", data={"file": (io.BytesIO(diagram), "rectification.bpmn")},
            content_type="multipart/form-data"),
        ("api.reminders", "GET"): client.get(f"{API}/reminders"),
        ("api.reminders_read", "POST"): client.post(f"{API}/reminders/read", json={}),
        # Nobody waits for these: allowed callers get the engine's 404, and nothing changes either way.
        ("api.send_message", "POST"): client.post(f"{API}/messages",
                                                  json={"name": "nobody_waits", "business_key": "X"}),
        ("api.send_signal", "POST"): client.post(f"{API}/signals", json={"name": "nobody_waits"}),
    }


def expected(role: str, route: tuple[str, str]) -> int:
    endpoint = route[0]
    if endpoint in ("api.problem_detail", "api.measure_detail"):
        return 200 if PROBLEM_P in SEES[role] else 404
    if endpoint in ("api.instances", "api.instance_detail", "api.process_definitions"):
        return 200 if role in SUPERVISORS else 403
    if endpoint in ("api.send_message", "api.send_signal"):
        return 404 if role in SUPERVISORS else 403
    if endpoint == "api.deploy_definition":
        return 201 if role == "admin" else 403
    return 200


def test_every_resource_route_with_every_role(world: World) -> None:
    before_definitions = definitions(world)
    for role in ROLES:
        before = world.snapshot()
        responses = calls(world.clients[role], world)
        assert set(responses) == COVERED_ROUTES
        for route, response in responses.items():
            if role == "signed_out":
                assert response.status_code == 401 and response.is_json, (route, response.status_code)
                assert response.get_json()["error"] == "unauthorized", route
                continue
            assert response.status_code == expected(role, route), (role, route, response.get_data(as_text=True))
            assert response.is_json, (role, route)
            if response.status_code >= 400:
                assert response.get_json()["error"], (role, route)
        if role != "signed_out":
            listed = {p["title"] for p in responses[("api.problems", "GET")].get_json()["items"]}
            assert listed == SEES[role], role
        assert world.snapshot() == before, f"{role} changed something through the resource routes"
    assert definitions(world) == before_definitions


def test_every_resource_route_refuses_a_revoked_token_and_a_made_up_one(world: World) -> None:
    """A revoked administrator's token (who could call everything) and a token nobody was given: 401 in
    JSON on every route, whatever session cookie came with it, and nothing changes."""
    with services(world.app).unit_of_work() as session:
        admin = session.scalars(select(Person).where(Person.login == "admin")).one()
        token, plaintext = create_token(session, admin, "撤销测试", actor=actor_for(admin), now=START)
        revoke_token(session, token.id, actor=actor_for(admin), now=START)
    before, before_definitions = world.snapshot(), definitions(world)
    for bearer in (plaintext, "rf_" + "0" * 40):
        client = world.clients["admin"]  # signed in: the token alone must decide
        client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        try:
            responses = calls(client, world)
        finally:
            del client.environ_base["HTTP_AUTHORIZATION"]
        for route, response in responses.items():
            assert (response.status_code, response.is_json) == (401, True), (bearer[:6], route, response.status_code)
    assert (world.snapshot(), definitions(world)) == (before, before_definitions)
