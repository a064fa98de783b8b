"""The dashboard's route with every role (``tests/web/authorisation_world``): leaders, supervision and
administrators open it, each counting only what ``workflows.ledger_scope`` lets them see; officers
are refused (403); the signed out are sent to sign in; nobody changes anything by asking.

The world's problem P (unit U1, 李书记) has 17 measures; the other problem (unit U2, 陈副书记) has one.
"""

from __future__ import annotations

import re

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock

from ..conftest import START
from .authorisation_world import ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {("dashboard.index", "GET")}
# role -> the measures the dashboard counts for it (None: refused)
MEASURES_SEEN: dict[str, int | None] = {
    "officer_own": None,
    "officer_other": None,
    "leader": 17,  # P's responsible leader
    "unit_leader": 17,  # leader of U1, P's unit
    "other_leader": 1,  # the other problem's leader
    "supervision": 18,
    "admin": 18,
    "signed_out": None,
}


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    app: Flask = make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))
    return build_world(app)


def test_each_role_opens_or_is_refused_the_dashboard_and_changes_nothing(world: World) -> None:
    assert set(MEASURES_SEEN) == set(ROLES)
    for role in ROLES:
        before = world.snapshot()
        response = world.clients[role].get("/dashboard")
        page = response.get_data(as_text=True)
        if role == "signed_out":
            assert response.status_code == 302 and response.headers["Location"].startswith("/login"), role
        elif MEASURES_SEEN[role] is None:
            assert response.status_code == 403, f"{role}: {response.status_code}"
            assert "data-figure" not in page
        else:
            assert response.status_code == 200, f"{role}: {response.status_code}"
            found = re.search(r"已完成 (\d+) 项 / 共 (\d+) 项", page)
            assert found and int(found.group(2)) == MEASURES_SEEN[role], (role, found and found.group(0))
        assert world.snapshot() == before, f"GET /dashboard as {role} changed something"


def test_the_header_links_the_dashboard_only_for_those_who_may_open_it(world: World) -> None:
    for role in ROLES[:-1]:
        page = world.clients[role].get("/").get_data(as_text=True)
        linked = 'href="/dashboard"' in page
        assert linked == (MEASURES_SEEN[role] is not None), role
