"""Every route of the public area, walked with every role of ``authorisation_world`` and signed out.

The public pages and the feedback post answer everyone; publishing and the triage page only
supervision and administrators; deciding on an opinion only the supervisor holding its task
(an administrator may read it, the engine refuses the decision). A refused request changes
nothing: publications, feedback rows and the tasks of the world are compared before and after.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import Actor, FixedClock, HumanTask, TaskStatus
from web.services import services
from workflows.feedback import triage_task
from workflows.feedback_intake import IntakePolicy, submit_feedback
from workflows.models import FeedbackStatus, InspectionRound, Publication, PublicFeedback
from workflows.publishing import publish

from ..conftest import START
from .authorisation_world import PEOPLE, ROLES, World, build_world
from .conftest import make_test_app

COVERED_ROUTES: set[tuple[str, str]] = {
    ("public.index", "GET"),
    ("public.publication", "GET"),
    ("public.feedback", "POST"),
    ("public.manage", "GET"),
    ("public.publish", "POST"),
    ("public.triage_page", "GET"),
    ("public.triage_submit", "POST"),
}
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({"supervision", "admin"})
SUPERVISION = Actor(PEOPLE["supervision"][0], groups=frozenset({"supervision"}))


@dataclass
class PublicWorld:
    """``authorisation_world`` plus one publication and one opinion per role, each claimed by supervision."""

    world: World
    round_id: int = 0
    publication_id: int = 0
    feedback: dict[str, int] = field(default_factory=dict)

    def snapshot(self) -> tuple[object, ...]:
        with services(self.world.app).unit_of_work() as session:
            publications = session.scalar(select(func.count()).select_from(Publication))
            feedback = session.execute(select(PublicFeedback.id, PublicFeedback.status, PublicFeedback.reason)
                                       .order_by(PublicFeedback.id)).all()
            tasks = session.execute(select(HumanTask.id, HumanTask.status, HumanTask.assignee)
                                    .order_by(HumanTask.id)).all()
            return publications, tuple(feedback), tuple(tasks), self.world.snapshot()

    def feedback_row(self, role: str) -> PublicFeedback:
        with services(self.world.app).unit_of_work() as session:
            found = session.get(PublicFeedback, self.feedback[role])
            assert found is not None
            session.expunge(found)
            return found


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    # Every role posts feedback from the test client's one address: the limit must not be what refuses them.
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START), FEEDBACK_RATE_LIMIT=100)


@pytest.fixture
def public_world(app: Flask) -> PublicWorld:
    world = build_world(app)
    found = services(app)
    engine = found.workflow_engine
    built = PublicWorld(world)
    with app.app_context(), found.unit_of_work() as session:
        round_id = session.scalars(select(InspectionRound.id)).one()
        built.round_id = round_id
        built.publication_id = publish(session, round_id, SUPERVISION, now=engine.clock()).id
        for role in ROLES:
            opinion = submit_feedback(session, engine, name="", contact="", text=f"{role} 的意见",
                                      address=f"192.0.2.{len(built.feedback) + 1}", publication_id=None,
                                      now=engine.clock(), policy=IntakePolicy(secret=b"k"))
            task = triage_task(session, opinion)
            assert task is not None
            engine.claim(session, task.id, SUPERVISION)
            built.feedback[role] = opinion.id
    return built


def _ok(text: str) -> Callable[[PublicWorld, str, TestResponse], None]:
    def check(_w: PublicWorld, _role: str, response: TestResponse) -> None:
        assert response.status_code == 200, response.status_code
        assert text in response.get_data(as_text=True)
    return check


def _feedback_taken(w: PublicWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    with services(w.world.app).unit_of_work() as session:
        assert session.scalar(select(func.count()).select_from(PublicFeedback)
                              .where(PublicFeedback.text == f"{role} 写的意见")) == 1


def _published(w: PublicWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    with services(w.world.app).unit_of_work() as session:
        assert session.scalar(select(func.max(Publication.version)).where(Publication.round_id == w.round_id)) > 1


def _dismissed(w: PublicWorld, role: str, response: TestResponse) -> None:
    assert response.status_code == 303, response.status_code
    row = w.feedback_row(role)
    assert (row.status, row.reason, row.handled_by) == (FeedbackStatus.DISMISSED, "与整改无关", PEOPLE[role][0])
    with services(w.world.app).unit_of_work() as session:
        task = triage_task(session, session.get(PublicFeedback, row.id))  # type: ignore[arg-type]
        assert task is not None and task.status == TaskStatus.COMPLETED


@dataclass(frozen=True)
class Route:
    path: Callable[[PublicWorld, str], str]
    allowed: frozenset[str]
    success: Callable[[PublicWorld, str, TestResponse], None]
    data: Callable[[PublicWorld, str], dict[str, str]] | None = None
    refused_status: int = 403  # for signed-in roles that are refused


ROUTES: dict[tuple[str, str], Route] = {
    ("public.index", "GET"): Route(lambda w, r: "/public", EVERYONE, _ok("理论学习不够深入")),
    ("public.publication", "GET"): Route(lambda w, r: f"/public/{w.publication_id}", EVERYONE,
                                         _ok("理论学习不够深入")),
    ("public.feedback", "POST"): Route(lambda w, r: "/public/feedback", EVERYONE, _feedback_taken,
                                       data=lambda w, r: {"text": f"{r} 写的意见"}),
    ("public.manage", "GET"): Route(lambda w, r: "/publish", MANAGERS, _ok("区委第二巡察组反馈意见整改")),
    ("public.publish", "POST"): Route(lambda w, r: f"/publish/{w.round_id}", MANAGERS, _published),
    ("public.triage_page", "GET"): Route(lambda w, r: f"/publish/feedback/{w.feedback[r]}", MANAGERS,
                                         _ok("的意见")),
    # Only the supervisor holding the task decides; an administrator reads but the engine refuses (403).
    ("public.triage_submit", "POST"): Route(lambda w, r: f"/publish/feedback/{w.feedback[r]}",
                                            frozenset({"supervision"}), _dismissed,
                                            data=lambda w, r: {"decision": "dismiss", "reason": "与整改无关"}),
}


def test_the_table_covers_every_route_of_the_area(app: Flask) -> None:
    registered = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint.startswith("public.")
                  for method in rule.methods or () if method not in ("HEAD", "OPTIONS")}
    assert registered == COVERED_ROUTES == set(ROUTES)


def _call(w: PublicWorld, role: str, method: str, path: str, data: dict[str, Any] | None) -> TestResponse:
    response = w.world.clients[role].open(path, method=method, data=data)
    response.get_data()
    response.close()
    return response


@pytest.mark.parametrize("route", sorted(ROUTES), ids=lambda r: f"{r[1]} {r[0]}")
def test_each_role_is_allowed_or_refused_and_refusals_change_nothing(
    public_world: PublicWorld, route: tuple[str, str]
) -> None:
    endpoint, method = route
    spec = ROUTES[route]
    for role in ROLES:
        before = public_world.snapshot()
        data = spec.data(public_world, role) if spec.data else None
        response = _call(public_world, role, method, spec.path(public_world, role), data)
        where = f"{method} {endpoint} as {role}"
        if role in spec.allowed:
            spec.success(public_world, role, response)
            continue
        if role == "signed_out":
            assert response.status_code == 302, f"{where}: {response.status_code}"
            assert response.headers["Location"].startswith("/login"), where
        else:
            assert response.status_code == spec.refused_status, f"{where}: {response.status_code}"
        assert public_world.snapshot() == before, f"{where} was refused but changed something"
