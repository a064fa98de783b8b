"""Every route with every role: nobody sees, claims, completes, reassigns or downloads what is not theirs.

The table ``ROUTES`` names every endpoint of issue 8's areas; later areas (ledger, problem page,
dashboard, import, public page…) walk their routes in their own ``test_authorisation_<area>.py``
and list them in its ``COVERED_ROUTES``; a route in neither fails ``test_every_route_is_in_the_table``.
Each row says which roles succeed; every other role
is refused — 404 when it may not even see the task (the same answer as a task that does not
exist), 403 when it sees the task but may not act on it, the sign-in page when signed out —
and a refused request changes nothing (every task's state and the evidence rows are compared).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock, TaskStatus

from ..conftest import START
from .authorisation_world import (
    COLLEAGUE,
    EVIDENCE_BYTES,
    MEASURE_TEXT,
    OTHER_MEASURE_TEXT,
    PEOPLE,
    ROLES,
    SIGNED_IN,
    World,
    build_world,
)
from .conftest import make_test_app

# Who may see problem P's tasks: its unit's officer and leader, its responsible leader
# (named on its approval task), supervision and administrators.
SEES_PROBLEM = frozenset({"officer_own", "leader", "unit_leader", "supervision", "admin"})


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    """The app on the shared database and a fixed clock (the tables are emptied after the test)."""
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


@dataclass(frozen=True)
class Route:
    """How each role calls one endpoint, who succeeds, and what success looks like.

    ``flash_refusal``: a role that sees the task but may not act is sent back with an error
    message (the inbox's one-click claim and release) rather than answered 403.
    """

    path: Callable[[World, str], str]  # the URL role ``r`` calls (a subject of its own)
    allowed: frozenset[str]
    success: Callable[[World, str, TestResponse], None]
    data: Callable[[World, str], dict[str, Any]] | None = None
    seen_by: frozenset[str] = SEES_PROBLEM  # who sees the subject (refused with 403, others 404)
    flash_refusal: str | None = None  # the message (zh) a refused role is shown instead of a 403


def _redirected(response: TestResponse, status: int = 302) -> None:
    assert response.status_code == status, f"{response.status_code}: {response.get_data(as_text=True)[:500]}"


def _claimed_by_officer(world: World, role: str, response: TestResponse) -> None:
    _redirected(response)
    assert world.task(world.open_task[role]).assignee == PEOPLE["officer_own"][0]


def _released(world: World, role: str, response: TestResponse) -> None:
    _redirected(response)
    assert world.task(world.claimed_task[role]).assignee is None


def _completed(world: World, role: str, response: TestResponse) -> None:
    _redirected(response, 303)
    task = world.task(world.claimed_task[role])
    assert (task.status, task.completed_by) == (TaskStatus.COMPLETED, PEOPLE["officer_own"][0])


def _handed_to_colleague(world: World, role: str, response: TestResponse) -> None:
    _redirected(response, 303)
    assert world.task(world.open_task[role]).assignee == COLLEAGUE[0]


def _page(world: World, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert MEASURE_TEXT in response.get_data(as_text=True)


def _reassign_form(world: World, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert COLLEAGUE[1] in response.get_data(as_text=True)  # offered as the new holder


def _file(world: World, role: str, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert response.data == EVIDENCE_BYTES
    assert response.headers["Content-Disposition"].startswith("attachment")


OFFICER_ONLY = frozenset({"officer_own"})
REASSIGNERS = frozenset({"unit_leader", "admin"})
# (endpoint, method) -> how each role fares.
ROUTES: dict[tuple[str, str], Route] = {
    ("inbox.claim", "POST"): Route(
        lambda w, r: f"/tasks/{w.open_task[r]}/claim", OFFICER_ONLY, _claimed_by_officer,
        flash_refusal="该任务不是派给您的，无法领取。",
    ),
    ("inbox.unclaim", "POST"): Route(
        lambda w, r: f"/tasks/{w.claimed_task[r]}/unclaim", OFFICER_ONLY, _released,
        flash_refusal="只有本人可以退回",
    ),
    ("tasks.show", "GET"): Route(lambda w, r: f"/tasks/{w.open_task[r]}", SEES_PROBLEM, _page),
    ("tasks.complete", "POST"): Route(
        lambda w, r: f"/tasks/{w.claimed_task[r]}/complete", OFFICER_ONLY, _completed,
        data=lambda w, r: {"progress": f"{r} 报送的进展"},
    ),
    ("evidence.download", "GET"): Route(lambda w, r: f"/evidence/{w.evidence_id}", SEES_PROBLEM, _file),
    ("delegation.reassign", "GET"): Route(lambda w, r: f"/tasks/{w.open_task[r]}/reassign", REASSIGNERS,
                                          _reassign_form),
    ("delegation.reassign", "POST"): Route(
        lambda w, r: f"/tasks/{w.open_task[r]}/reassign", REASSIGNERS, _handed_to_colleague,
        data=lambda w, r: {"to_login": COLLEAGUE[0], "reason": "经办人出差，转交同事办理"},
    ),
}
# Pages every signed-in person may open: (endpoint, method) -> (path, status for the signed in).
OPEN_TO_SIGNED_IN: dict[tuple[str, str], tuple[str, int]] = {
    ("inbox.index", "GET"): ("/", 200),
    # Each person's own reminders (issue 10); marking read without an id marks one's own, all of them.
    ("reminders.index", "GET"): ("/reminders", 200),
    ("reminders.read", "POST"): ("/reminders/read", 302),
    ("auth.logout", "POST"): ("/logout", 302),
}
# Endpoints anyone may open: (endpoint, method) -> (path, form, status signed in, status signed out).
OPEN_TO_ALL: dict[tuple[str, str], tuple[str, dict[str, str] | None, int, int]] = {
    ("auth.login", "GET"): ("/login", None, 302, 200),  # the signed in are sent on to their inbox
    # A wrong password is refused with the form again, whoever asks (signing in itself: build_world).
    ("auth.login", "POST"): ("/login", {"login": "officer1", "password": "wrong-password"}, 200, 200),
    ("health.health", "GET"): ("/health", None, 200, 200),
    # Not ready (no scheduler heartbeat in this world) and metrics off (no METRICS_TOKEN), for everyone alike.
    ("health.ready", "GET"): ("/ready", None, 503, 503),
    ("metrics.metrics", "GET"): ("/metrics", None, 404, 404),
    ("report_stylesheet", "GET"): ("/static/report.css", None, 200, 200),
    ("static", "GET"): ("/static/app.css", None, 200, 200),
    # Browser libraries from npm (web/vendor.py): public files, like the stylesheet.
    ("vendor.asset", "GET"): ("/vendor/echarts.js", None, 200, 200),
}


def _area_tables() -> set[tuple[str, str]]:
    """The routes each later area walks in its own ``test_authorisation_<area>.py`` (``COVERED_ROUTES``)."""
    covered: set[tuple[str, str]] = set()
    for path in sorted(Path(__file__).parent.glob("test_authorisation_*.py")):
        module = importlib.import_module(f"{__package__}.{path.stem}")
        covered |= set(module.COVERED_ROUTES)
    return covered


def _call(client: FlaskClient, method: str, path: str, data: dict[str, Any] | None = None) -> TestResponse:
    """The response, read and closed (a file response holds its file open until closed)."""
    response = client.open(path, method=method, data=data)
    response.get_data()
    response.close()
    return response


def test_every_route_is_in_the_table(app: Flask) -> None:
    """A route added without a row here fails, so no route escapes the walk."""
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules()
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    covered = set(ROUTES) | set(OPEN_TO_SIGNED_IN) | set(OPEN_TO_ALL) | _area_tables()
    missing = sorted(registered - covered)
    assert not missing, f"routes without an authorisation row in {__name__}: {missing}"
    absent = sorted(set(ROUTES) - registered)
    assert not absent, f"issue 8's routes not registered: {absent}"


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_each_role_is_allowed_or_refused_and_refusals_change_nothing(world: World, route: tuple[str, str]) -> None:
    endpoint, method = route
    spec = ROUTES[route]
    for role in ROLES:
        before = world.snapshot()
        data = spec.data(world, role) if spec.data else None
        response = _call(world.clients[role], method, spec.path(world, role), data)
        if role in spec.allowed:
            spec.success(world, role, response)
            continue
        where = f"{method} {endpoint} as {role}"
        if role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), f"{where}: {response.headers['Location']}"
        elif role in spec.seen_by and spec.flash_refusal is not None:
            assert response.status_code == 302, f"{where}: {response.status_code}"
            shown = world.clients[role].get(response.headers["Location"]).get_data(as_text=True)
            assert spec.flash_refusal in shown, f"{where}: the refusal is not shown"
        else:
            expected = 403 if role in spec.seen_by else 404
            assert response.status_code == expected, (
                f"{where}: {response.status_code}, expected {expected}\n{response.get_data(as_text=True)[:500]}"
            )
        assert world.snapshot() == before, f"{where} was refused but changed something"


def test_pages_for_the_signed_in_send_the_signed_out_to_sign_in(world: World) -> None:
    for (endpoint, method), (path, status) in OPEN_TO_SIGNED_IN.items():
        response = _call(world.clients["signed_out"], method, path)
        assert response.status_code == 302, f"{endpoint} signed out: {response.status_code}"
        assert response.headers["Location"].startswith("/login"), endpoint
        if endpoint == "auth.logout":
            continue  # signing out is checked last, below
        for role in SIGNED_IN:
            response = _call(world.clients[role], method, path)
            assert response.status_code == status, f"{endpoint} as {role}: {response.status_code}"
    for role in SIGNED_IN:
        assert world.clients[role].post("/logout").status_code == 302
        assert world.clients[role].get("/").headers["Location"].startswith("/login"), role


def test_public_endpoints_answer_everyone(world: World) -> None:
    for (endpoint, method), (path, form, signed_in, signed_out) in OPEN_TO_ALL.items():
        for role in ROLES:
            expected = signed_out if role == "signed_out" else signed_in
            response = _call(world.clients[role], method, path, form)
            assert response.status_code == expected, f"{method} {endpoint} as {role}: {response.status_code}"


def test_the_inbox_lists_only_what_a_role_may_see(world: World) -> None:
    """Every tab of every inbox: the problem's measures appear only to those who may see them."""
    tabs = ("mine", "claimable", "done")
    for role in SIGNED_IN:
        pages = [world.clients[role].get("/", query_string={"tab": tab}) for tab in tabs]
        assert all(page.status_code == 200 for page in pages), role
        text = "".join(page.get_data(as_text=True) for page in pages)
        if role not in SEES_PROBLEM:
            assert MEASURE_TEXT not in text, f"{role}'s inbox shows another unit's problem"
    officer = world.clients["officer_own"].get("/", query_string={"tab": "claimable"}).get_data(as_text=True)
    assert MEASURE_TEXT in officer
    outsider = world.clients["officer_other"].get("/", query_string={"tab": "claimable"}).get_data(as_text=True)
    assert OTHER_MEASURE_TEXT in outsider


def test_a_task_of_another_problem_is_hidden_from_this_problems_people(world: World) -> None:
    """The other problem's task answers 404 to the officer and leaders of this problem."""
    task = world.other_problem_task
    for role in ("officer_own", "leader", "unit_leader"):
        client = world.clients[role]
        before = world.snapshot()
        assert client.get(f"/tasks/{task}").status_code == 404, role
        assert client.post(f"/tasks/{task}/claim").status_code == 404, role
        assert client.post(f"/tasks/{task}/complete", data={"progress": "x"}).status_code == 404, role
        assert world.snapshot() == before, role
    assert world.clients["officer_other"].get(f"/tasks/{task}").status_code == 200


def test_only_the_named_leader_claims_and_decides_the_approval(world: World) -> None:
    """The approval names its leader: others who see it (its unit's officer and leader,
    supervision, an admin) can neither claim nor decide it; the leader can."""
    task = world.approval_task
    decision = {"review_decision": "approve"}
    for role in ROLES:
        if role == "leader":
            continue
        before = world.snapshot()
        claim = _call(world.clients[role], "POST", f"/tasks/{task}/claim")
        complete = _call(world.clients[role], "POST", f"/tasks/{task}/complete", decision)
        if role == "signed_out":
            assert claim.headers["Location"].startswith("/login"), role
        elif role in SEES_PROBLEM:
            # Refused either way: not theirs (403) or, since nobody holds it yet, not claimed (409).
            assert claim.status_code == 302 and complete.status_code in (403, 409), (
                role, claim.status_code, complete.status_code)
        else:
            assert (claim.status_code, complete.status_code) == (404, 404), role
        assert world.snapshot() == before, f"{role} changed the leader's approval"
    leader = world.clients["leader"]
    assert _call(leader, "POST", f"/tasks/{task}/claim").status_code == 302
    assert _call(leader, "POST", f"/tasks/{task}/complete", decision).status_code == 303
    assert world.task(task).completed_by == PEOPLE["leader"][0]
