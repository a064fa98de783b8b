"""The import pages (``/import``) with every role: only supervision and administrators upload, see,
correct, confirm or cancel a draft; everyone else gets 403, the signed out the sign-in page, and a
refused request changes nothing (the drafts and the rounds are compared before and after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import Actor, FixedClock
from web.services import services
from workflows.import_drafts import create_plan_draft
from workflows.models import ImportDraft, InspectionRound

from ..conftest import START
from .authorisation_world import ROLES, World, build_world
from .conftest import make_test_app

OFFICE = frozenset({"supervision", "admin"})
PLAN = ("关于巡察整改进展情况的通报\n第一部分 党的建设方面\n"
        "1.针对理论学习不够深入问题。一是每月集中学习一次。二是建立学习台账。\n"
        "2.针对制度执行不严问题。一是修订制度。\n")
DUCHA = Actor("ducha", groups=frozenset({"supervision"}))


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def new_draft(world: World) -> int:
    """A fresh open draft of the small plan, uploaded by supervision."""
    with services(world.app).unit_of_work() as session:
        draft = create_plan_draft(session, DUCHA, "方案.txt", PLAN.encode(), at=START, docx_max_xml_bytes=10**7)
        return draft.id


def snapshot(world: World) -> tuple[Any, ...]:
    """The drafts (id, status, tree) and the number of rounds."""
    with services(world.app).unit_of_work() as session:
        drafts = session.execute(select(ImportDraft.id, ImportDraft.status, ImportDraft.tree)
                                 .order_by(ImportDraft.id)).all()
        rounds = session.scalar(select(func.count()).select_from(InspectionRound))
        return (tuple((d.id, d.status, repr(d.tree)) for d in drafts), rounds)


@dataclass(frozen=True)
class Route:
    """How a role calls the endpoint (given a fresh draft id) and what success looks like."""

    path: Callable[[int], str]
    success: Callable[[World, int, TestResponse], None]
    data: Callable[[], dict[str, Any]] | None = None


def _page(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert "导入" in response.get_data(as_text=True)


def _uploaded(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith("/import/")


def _preview(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 200, response.status_code
    assert "理论学习不够深入" in response.get_data(as_text=True)


def _renamed(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 303
    with services(world.app).unit_of_work() as session:
        row = session.get(ImportDraft, draft)
        assert row is not None and row.tree["parts"][0]["problems"][0]["title"] == "理论学习走过场"


def _confirmed(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 303, response.get_data(as_text=True)[:300]
    assert response.headers["Location"].startswith("/ledger?round=")


def _cancelled(world: World, draft: int, response: TestResponse) -> None:
    assert response.status_code == 303
    with services(world.app).unit_of_work() as session:
        assert session.get(ImportDraft, draft) is None


COVERED_ROUTES: dict[tuple[str, str], Route] = {
    ("imports.index", "GET"): Route(lambda d: "/import", _page),
    ("imports.upload", "POST"): Route(lambda d: "/import", _uploaded,
                                      data=lambda: {"file": (BytesIO(PLAN.encode()), "方案.txt")}),
    ("imports.preview", "GET"): Route(lambda d: f"/import/{d}", _preview),
    ("imports.edit", "POST"): Route(lambda d: f"/import/{d}/edit/rename", _renamed,
                                    data=lambda: {"revision": "0", "number": "1.1", "text": "理论学习走过场"}),
    ("imports.confirm", "POST"): Route(lambda d: f"/import/{d}/confirm", _confirmed),
    ("imports.cancel", "POST"): Route(lambda d: f"/import/{d}/cancel", _cancelled),
}


def test_the_table_names_every_route_of_the_area(app: Flask) -> None:
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("imports.")
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    assert registered == set(COVERED_ROUTES)


@pytest.mark.parametrize("route", sorted(COVERED_ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_only_supervision_and_admin_import(world: World, route: tuple[str, str]) -> None:
    endpoint, method = route
    spec = COVERED_ROUTES[route]
    for role in ROLES:
        draft = new_draft(world)
        before = snapshot(world)
        data = spec.data() if spec.data else None
        response = world.clients[role].open(spec.path(draft), method=method, data=data)
        where = f"{method} {endpoint} as {role}"
        if role in OFFICE:
            spec.success(world, draft, response)
            continue
        if role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == 403, f"{where}: {response.status_code}"
        assert snapshot(world) == before, f"{where} was refused but changed something"
