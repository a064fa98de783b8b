"""Every endpoint of the API's core (tasks, evidence, tokens), its docs and the token page, walked with every
role of ``authorisation_world`` — by personal token, with a revoked token and with none — asserting who
succeeds, that everyone else is refused in JSON (404 unseen, 403 seen but not theirs, 401 without a working
token) and that a refusal changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock, TaskStatus
from web.services import services
from workflows.api_tokens import create_token, revoke_token
from workflows.models import ApiToken, Person
from workflows.people import actor_for

from ..conftest import START
from .authorisation_world import EVIDENCE_BYTES, PEOPLE, ROLES, SIGNED_IN, World, build_world
from .conftest import make_test_app

SEES_PROBLEM = frozenset({"officer_own", "leader", "unit_leader", "supervision", "admin"})
EVERYONE = frozenset(SIGNED_IN)
OFFICER_ONLY = frozenset({"officer_own"})
OWNER_OR_ADMIN = frozenset({"officer_own", "admin"})
REVOKED = "revoked"


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@dataclass
class Tokens:
    """A token per role (and a revoked one), and officer_own's spare tokens, one per role to revoke."""

    by_role: dict[str, str]
    spare: dict[str, int]  # role -> id of an officer_own token that role tries to revoke through the API
    spare_page: dict[str, int]  # the same, through the token page


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


@pytest.fixture
def tokens(app: Flask, world: World) -> Tokens:
    found = services(app)
    now = found.workflow_engine.clock()
    with app.app_context(), found.unit_of_work() as session:
        people = {role: session.scalars(select(Person).where(Person.login == PEOPLE[role][0])).one()
                  for role in SIGNED_IN}
        by_role = {role: create_token(session, person, f"{role} 脚本", actor=actor_for(person), now=now)[1]
                   for role, person in people.items()}
        owner = people["officer_own"]
        revoked, by_role[REVOKED] = create_token(session, owner, "旧令牌", actor=actor_for(owner), now=now)
        revoke_token(session, revoked.id, actor=actor_for(owner), now=now)
        spare = {role: create_token(session, owner, f"备用 {role}", actor=actor_for(owner), now=now)[0].id
                 for role in ROLES}
        spare_page = {role: create_token(session, owner, f"页面 {role}", actor=actor_for(owner), now=now)[0].id
                      for role in ROLES}
    return Tokens(by_role, spare, spare_page)


@dataclass(frozen=True)
class Route:
    path: Callable[[World, Tokens, str], str]
    allowed: frozenset[str]
    status: int  # a success's status
    json: Callable[[World, str], Any] | None = None
    seen_by: frozenset[str] = SEES_PROBLEM  # refused with 403; the rest of the signed in with 404
    check: Callable[[World, str, TestResponse], None] | None = None


def _claimed(world: World, role: str, response: TestResponse) -> None:
    assert response.json is not None and response.json["assignee"] == PEOPLE["officer_own"][0]
    assert world.task(world.open_task[role]).assignee == PEOPLE["officer_own"][0]


def _released(world: World, role: str, response: TestResponse) -> None:
    assert world.task(world.claimed_task[role]).assignee is None


def _completed(world: World, role: str, response: TestResponse) -> None:
    task = world.task(world.claimed_task[role])
    assert (task.status, task.completed_by) == (TaskStatus.COMPLETED, PEOPLE["officer_own"][0])


def _file(world: World, role: str, response: TestResponse) -> None:
    assert response.data == EVIDENCE_BYTES and response.headers["Content-Disposition"].startswith("attachment")


def _task_seen(world: World, role: str, response: TestResponse) -> None:
    assert response.json is not None and response.json["id"] == world.open_task[role]
    assert response.json["form"]["form"] == "measure_progress"


# The API, called with a personal token: (endpoint, method) -> how each role fares.
API_ROUTES: dict[tuple[str, str], Route] = {
    ("api.list_tasks", "GET"): Route(lambda w, t, r: "/api/v1/tasks?tab=claimable", EVERYONE, 200),
    ("api.get_task", "GET"): Route(lambda w, t, r: f"/api/v1/tasks/{w.open_task[r]}", SEES_PROBLEM, 200,
                                   check=_task_seen),
    ("api.claim_task", "POST"): Route(lambda w, t, r: f"/api/v1/tasks/{w.open_task[r]}/claim", OFFICER_ONLY, 200,
                                      check=_claimed),
    ("api.unclaim_task", "POST"): Route(lambda w, t, r: f"/api/v1/tasks/{w.claimed_task[r]}/unclaim", OFFICER_ONLY,
                                        200, check=_released),
    ("api.complete_task", "POST"): Route(
        lambda w, t, r: f"/api/v1/tasks/{w.claimed_task[r]}/complete", OFFICER_ONLY, 200,
        json=lambda w, r: {"data": {"progress": f"{r} 报送的进展"}}, check=_completed),
    ("api.download_evidence", "GET"): Route(lambda w, t, r: f"/api/v1/evidence/{w.evidence_id}", SEES_PROBLEM, 200,
                                            check=_file),
    ("api.tokens_create", "POST"): Route(lambda w, t, r: "/api/v1/tokens", EVERYONE, 201,
                                         json=lambda w, r: {"name": f"{r} 新令牌"}),
    ("api.tokens_list", "GET"): Route(lambda w, t, r: "/api/v1/tokens", EVERYONE, 200),
    ("api.token_revoke", "DELETE"): Route(lambda w, t, r: f"/api/v1/tokens/{t.spare[r]}", OWNER_OR_ADMIN, 204,
                                          seen_by=frozenset()),
}
# Public: the OpenAPI document and the docs page, for anyone, token or not.
PUBLIC_ROUTES: dict[tuple[str, str], str] = {
    ("api-docs.openapi_json", "GET"): "/api/v1/openapi.json",
    ("api_docs.docs", "GET"): "/api/v1/docs",
}
# The token page: a page, for the browser session only (a token signs in no page).
PAGE_ROUTES: dict[tuple[str, str], Route] = {
    ("api_tokens.index", "GET"): Route(lambda w, t, r: "/account/tokens", EVERYONE, 200),
    ("api_tokens.create", "POST"): Route(lambda w, t, r: "/account/tokens", EVERYONE, 200,
                                         json=lambda w, r: {"name": f"{r} 页面令牌"}),
    ("api_tokens.revoke", "POST"): Route(lambda w, t, r: f"/account/tokens/{t.spare_page[r]}/revoke", OFFICER_ONLY,
                                         303, seen_by=frozenset()),
}
COVERED_ROUTES: set[tuple[str, str]] = set(API_ROUTES) | set(PUBLIC_ROUTES) | set(PAGE_ROUTES)


def _state(app: Flask, world: World) -> tuple[object, ...]:
    with services(app).unit_of_work() as session:
        live = session.scalar(select(func.count()).select_from(ApiToken).where(ApiToken.revoked_at.is_(None)))
        return (world.snapshot(), live)


def _call(client: FlaskClient, method: str, path: str, *, token: str | None = None, json: Any = None,
          form: dict[str, str] | None = None) -> TestResponse:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.open(path, method=method, headers=headers, json=json, data=form)
    response.get_data()
    response.close()  # a file response holds its file open until closed
    return response


@pytest.mark.parametrize("route", sorted(API_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_each_role_by_token_is_allowed_or_refused_and_refusals_change_nothing(
    app: Flask, world: World, tokens: Tokens, route: tuple[str, str]
) -> None:
    endpoint, method = route
    spec = API_ROUTES[route]
    for role in (*ROLES, REVOKED):
        who = "officer_own" if role == REVOKED else role  # a revoked token calls officer_own's subjects
        before = _state(app, world)
        response = _call(app.test_client(), method, spec.path(world, tokens, who),
                         token=tokens.by_role.get(role), json=spec.json(world, who) if spec.json else None)
        where = f"{method} {endpoint} as {role}"
        if role in spec.allowed:
            assert response.status_code == spec.status, f"{where}: {response.status_code} {response.json}"
            if spec.check is not None:
                spec.check(world, role, response)
            continue
        expected = 401 if role in ("signed_out", REVOKED) else 403 if role in spec.seen_by else 404
        assert response.status_code == expected, f"{where}: {response.status_code} {response.get_data(as_text=True)}"
        assert response.json is not None and set(response.json) >= {"error", "message"}, where
        assert _state(app, world) == before, f"{where} changed something"


@pytest.mark.parametrize("route", sorted(PUBLIC_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_the_api_description_is_public(app: Flask, world: World, tokens: Tokens, route: tuple[str, str]) -> None:
    for role in (*ROLES, REVOKED):
        response = _call(app.test_client(), route[1], PUBLIC_ROUTES[route], token=tokens.by_role.get(role))
        assert response.status_code == 200, f"{route} as {role}: {response.status_code}"


@pytest.mark.parametrize("route", sorted(PAGE_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_the_token_page_is_each_persons_own(app: Flask, world: World, tokens: Tokens, route: tuple[str, str]) -> None:
    endpoint, method = route
    spec = PAGE_ROUTES[route]
    for role in ROLES:
        before = _state(app, world)
        path = spec.path(world, tokens, role)
        form = spec.json(world, role) if spec.json else None
        # a token is no sign-in for a page: sent to the login page, nothing done
        by_token = _call(app.test_client(), method, path, token=tokens.by_role.get(role), form=form)
        assert by_token.status_code == 302 and by_token.headers["Location"].startswith("/login"), role
        assert _state(app, world) == before
        response = _call(world.clients[role], method, path, form=form)
        where = f"{method} {endpoint} as {role}"
        if role in spec.allowed:
            assert response.status_code == spec.status, f"{where}: {response.status_code}"
            continue
        if role == "signed_out":
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 404, f"{where}: {response.status_code}"
        assert _state(app, world) == before, f"{where} changed something"
