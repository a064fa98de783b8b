"""The JSON API as a client meets it: a valid OpenAPI 3.1 document, then one problem's whole lifecycle
driven through the API alone — personal tokens for two officers, the responsible leader and supervision;
the officer submits each measure with progress and an evidence file, the leader approves, supervision
verifies and so closes (销号) — with a claim race lost (409), refused input (422) and JSON errors."""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, FixedClock
from web.services import services
from workflows.models import Evidence, Problem, ProblemStatus, Role
from workflows.people import create_person, create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch
from workflows.schema import deploy_bundled
from workflows.status import derive

from ..conftest import START
from .conftest import PASSWORD, AuthActions, make_test_app

EVIDENCE = b"%PDF-1.4\n% API lifecycle\n%%EOF\n"
# role -> (login, name, role, unit)
PEOPLE = {
    "officer": ("officer1", "刘洋", Role.OFFICER, "U1"),
    "rival": ("officer3", "黄婷", Role.OFFICER, "U1"),
    "leader": ("leader1", "李书记", Role.LEADER, "ZFW"),
    "supervision": ("ducha", "赵督查", Role.SUPERVISION, "XCB"),
}


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def problem_id(app: Flask) -> int:
    """One problem of unit U1 with two measures, its lifecycle started."""
    found = services(app)
    with app.app_context(), found.unit_of_work() as session:
        deploy_bundled(session, found.workflow_engine, actor="admin")
        units = {code: create_unit(session, code, name)
                 for code, name in {"U1": "综治科", "ZFW": "区委政法委", "XCB": "区委巡察办"}.items()}
        people = {role: create_person(session, login=login, name=name, password=PASSWORD, roles=[r], unit=units[u])
                  for role, (login, name, r, u) in PEOPLE.items()}
        round_ = create_round(
            session, title="区委第二巡察组反馈意见整改", at=found.workflow_engine.clock(),
            inspecting_group="区委第二巡察组", inspected_unit=units["ZFW"], period_start=date(2025, 3, 3),
            period_end=date(2025, 4, 30), feedback_date=date(2025, 6, 10), signatory="中共某区委政法委员会",
            contacts={"phone": "020-12345678", "post": "某区某路1号", "postcode": "510000", "email": "a@b.cn"},
        )
        problem = add_problem(session, add_part(session, round_, "党的领导方面"), "理论学习不够深入",
                              leader=people["leader"], lead_unit=units["U1"])
        for text in ("每两个月组织一次中心组集中学习", "建立学习台账"):
            add_measure(session, problem, text, deadline=date(2026, 6, 30), units=[units["U1"]])
        launch(session, found.workflow_engine, round_, Actor("admin", groups=frozenset({Role.ADMIN.value})))
        return problem.id


@pytest.fixture
def tokens(app: Flask, committing_sessions: sessionmaker[Session], problem_id: int) -> dict[str, str]:
    """A personal token per role, each created through the API by its owner's signed-in session."""
    found: dict[str, str] = {}
    for role, (login, *_rest) in PEOPLE.items():
        client = app.test_client()
        AuthActions(client, committing_sessions).login(login)
        created = client.post("/api/v1/tokens", json={"name": f"{role} 的脚本"})
        assert created.status_code == 201, created.json
        assert created.json is not None
        found[role] = created.json["token"]
    return found


class Caller:
    """A client that sends one person's token and checks the answers are JSON."""

    def __init__(self, client: FlaskClient, token: str) -> None:
        self.client, self.headers = client, {"Authorization": f"Bearer {token}"}

    def call(self, method: str, path: str, expect: int = 200, **kwargs: Any) -> Any:
        response = self.client.open(f"/api/v1{path}", method=method, headers=self.headers, **kwargs)
        assert response.status_code == expect, (method, path, response.status_code, response.get_data(as_text=True))
        if expect == 204 or not response.is_json:
            return response
        body = response.json
        if expect >= 400:
            assert body is not None and set(body) >= {"error", "message"} and body["message"], body
        return body

    def tasks(self, tab: str = "mine", **filters: Any) -> list[dict[str, Any]]:
        """Every task of a tab, following the cursors."""
        found: list[dict[str, Any]] = []
        cursor = None
        while True:
            query = {"tab": tab, "limit": 1, **filters, **({"cursor": cursor} if cursor else {})}
            page = self.call("GET", "/tasks", query_string=query)
            found += page["items"]
            cursor = page["next_cursor"]
            if cursor is None:
                return found


def test_the_openapi_document_is_valid_openapi_3_1(client: FlaskClient) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec is not None and spec["openapi"].startswith("3.1")
    validate(spec)
    for path in ("/api/v1/tasks", "/api/v1/tasks/{task_id}/complete", "/api/v1/tokens",
                 "/api/v1/evidence/{evidence_id}"):
        assert path in spec["paths"], sorted(spec["paths"])
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.get_data(as_text=True)
    assert "/api/v1/tasks/{task_id}/claim" in page and "<script>" not in page


def test_one_problem_closed_through_the_api_alone(
    app: Flask, tokens: dict[str, str], problem_id: int, committing_sessions: sessionmaker[Session]
) -> None:
    officer, rival, leader, ducha = (Caller(app.test_client(), tokens[r])
                                     for r in ("officer", "rival", "leader", "supervision"))
    offered = officer.tasks("claimable")
    assert len(offered) == 2 and {t["stage"] for t in offered} == {"measure_submit"}
    assert {t["problem_id"] for t in offered} == {problem_id} and all(t["measure_id"] for t in offered)
    assert [t["id"] for t in rival.tasks("claimable")] == [t["id"] for t in offered]
    assert leader.tasks("claimable") == [] and ducha.tasks("mine") == []

    evidence_ids = []
    for n, task in enumerate(offered):
        detail = officer.call("GET", f"/tasks/{task['id']}")
        assert detail["form"]["properties"]["progress"]["type"] == "string"
        assert officer.call("POST", f"/tasks/{task['id']}/claim")["assignee"] == "officer1"
        # the second officer loses the race: a clean 409 that names what happened
        lost = rival.call("POST", f"/tasks/{task['id']}/claim", expect=409)
        assert lost["error"] == "conflict"
        # the rival sees the task but may not act on it
        rival.call("POST", f"/tasks/{task['id']}/complete", expect=403, json={"data": {"progress": "x"}})
        refused = officer.call("POST", f"/tasks/{task['id']}/complete", expect=422, json={"data": {}})
        assert refused["error"] == "invalid" and "progress" in refused["fields"]
        done = officer.call("POST", f"/tasks/{task['id']}/complete", data={
            "progress": f"已组织集中学习（{n + 1}）", "measure_done": "on",
            "evidence": (io.BytesIO(EVIDENCE), f"学习记录{n + 1}.pdf"),
        }, content_type="multipart/form-data")
        assert done["status"] == "completed" and done["completed_at"]
        with committing_sessions() as session:
            evidence_ids += session.scalars(select(Evidence.id).where(Evidence.task_id == task["id"])).all()
    assert len(evidence_ids) == 2
    assert [t["id"] for t in officer.tasks("done")] == [t["id"] for t in offered]

    # the evidence downloads for those who see the problem, and for no one without a token
    download = leader.call("GET", f"/evidence/{evidence_ids[0]}")
    assert download.data == EVIDENCE and "attachment" in download.headers["Content-Disposition"]
    download.close()  # the file stays open until the response is closed
    assert app.test_client().get(f"/api/v1/evidence/{evidence_ids[0]}").status_code == 401

    approvals = leader.tasks("claimable", step="measure_approve")
    assert len(approvals) == 2
    for task in approvals:
        leader.call("POST", f"/tasks/{task['id']}/claim")
        bad = leader.call("POST", f"/tasks/{task['id']}/complete", expect=422,
                          json={"data": {"review_decision": "return"}})
        assert "reason" in bad["fields"]
        leader.call("POST", f"/tasks/{task['id']}/complete", json={"data": {"review_decision": "approve"}})

    verify = ducha.tasks("claimable", step="verify")
    assert len(verify) == 1 and verify[0]["problem_id"] == problem_id
    ducha.call("POST", f"/tasks/{verify[0]['id']}/claim")
    ducha.call("POST", f"/tasks/{verify[0]['id']}/unclaim")
    ducha.call("POST", f"/tasks/{verify[0]['id']}/claim")
    ducha.call("POST", f"/tasks/{verify[0]['id']}/complete", json={"data": {"verify_decision": "pass"}})
    with committing_sessions() as session:
        problem = session.get(Problem, problem_id)
        assert problem is not None
        assert derive(session, [problem])[problem_id].status is ProblemStatus.CLOSED
    assert ducha.tasks("claimable") == []


def test_api_errors_are_json(app: Flask, tokens: dict[str, str]) -> None:
    officer = Caller(app.test_client(), tokens["officer"])
    assert officer.call("GET", "/tasks/999999", expect=404)["error"] == "not_found"
    assert officer.call("GET", "/tasks", expect=400, query_string={"cursor": "!!"})["error"] == "bad_cursor"
    refused = officer.call("GET", "/tasks", expect=422, query_string={"tab": "nonsense"})
    assert refused["error"] == "invalid" and "tab" in refused["fields"]
    task = officer.tasks("claimable")[0]["id"]
    officer.call("POST", f"/tasks/{task}/claim")
    refused = officer.call("POST", f"/tasks/{task}/complete", expect=400, data="not json",
                           content_type="application/json")
    assert refused["error"] == "bad_request"
    assert officer.call("POST", f"/tasks/{task}/complete", expect=400, json={"data": [1]})["error"] == "bad_request"
    assert officer.call("GET", "/nothing-here", expect=404)["error"] == "not_found"


def test_a_request_over_the_size_limit_is_413_json(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    app = make_test_app(db_engine, MAX_CONTENT_LENGTH=1024)
    client = app.test_client()
    AuthActions(client, committing_sessions).create()
    AuthActions(client, committing_sessions).login()
    response = client.post("/api/v1/tokens", json={"name": "x" * 4096})
    assert response.status_code == 413
    assert response.json is not None and response.json["error"] == "too_large"
