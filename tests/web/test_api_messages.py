"""``POST /api/v1/messages`` and ``/api/v1/signals``: diagrams of tests/fixtures/bpmn/messages driven to
completion through the API by supervision; refusals are JSON and change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openapi_spec_validator import validate
from sqlalchemy import func, select

from engine import Actor, InstanceStatus, ProcessInstance
from web.services import services
from workflows.models import Role

from .conftest import AuthActions

API = "/api/v1"
DIAGRAMS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "messages"


@pytest.fixture
def deployed(app: Flask) -> Flask:
    found = services(app)
    with app.app_context(), found.unit_of_work() as session:
        for path in sorted(DIAGRAMS.glob("*.bpmn")):
            found.workflow_engine.deploy_path(session, path, actor="admin")
    return app


def signed_in(auth: AuthActions, role: Role) -> FlaskClient:
    auth.create(login="someone", roles=(role,))
    assert auth.login(login="someone").status_code in (302, 303)
    return auth.client


def start(app: Flask, process_key: str, business_key: str, data: dict | None = None) -> int:
    found = services(app)
    with app.app_context(), found.unit_of_work() as session:
        return found.workflow_engine.start(session, process_key, data or {}, actor=Actor("admin"),
                                           business_key=business_key).id


def status(app: Flask, instance_id: int) -> InstanceStatus:
    with services(app).unit_of_work() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return instance.status


def instance_count(app: Flask) -> int:
    with services(app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessInstance)) or 0


def test_supervision_sends_a_message_by_key_and_by_correlation(deployed: Flask, auth: AuthActions) -> None:
    client = signed_in(auth, Role.SUPERVISION)
    by_key = start(deployed, "msg_catch", "INV-1")
    by_data = start(deployed, "msg_receive_task", "DOC-1", {"doc": "D7"})
    response = client.post(f"{API}/messages", json={"name": "payment_received", "business_key": "INV-1",
                                                    "data": {"paid": 10}})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == {"received": [{"id": by_key, "process_key": "msg_catch", "version": 1,
                                                 "business_key": "INV-1", "status": "completed"}], "started": []}
    response = client.post(f"{API}/messages", json={"name": "document_arrived", "correlation": {"doc": "D7"}})
    assert [i["id"] for i in response.get_json()["received"]] == [by_data]
    assert status(deployed, by_key) == status(deployed, by_data) == InstanceStatus.COMPLETED


def test_a_message_starts_a_process_and_a_signal_releases_it(deployed: Flask, auth: AuthActions) -> None:
    client = signed_in(auth, Role.ADMIN)
    started = client.post(f"{API}/messages", json={"name": "order_received", "business_key": "ORD-1"}).get_json()
    assert started["received"] == [] and started["started"][0]["process_key"] == "msg_start"
    alarm = client.post(f"{API}/signals", json={"name": "alarm", "data": {"zone": "N"}}).get_json()
    [instance] = alarm["started"]
    assert instance["status"] == "running"
    clear = client.post(f"{API}/signals", json={"name": "all_clear"}).get_json()
    assert clear["received"] == [instance | {"status": "completed"}]


def test_refusals_are_json_and_change_nothing(deployed: Flask, auth: AuthActions) -> None:
    start(deployed, "msg_catch", "INV-1")
    client = signed_in(auth, Role.SUPERVISION)
    before = instance_count(deployed)
    nobody = client.post(f"{API}/messages", json={"name": "payment_received", "business_key": "INV-9"})
    assert nobody.status_code == 404 and "INV-9" in nobody.get_json()["message"]
    assert client.post(f"{API}/messages", json={"business_key": "INV-1"}).status_code == 422
    bad = client.post(f"{API}/messages", json={"name": "payment_received", "business_key": "INV-1",
                                               "data": {"__class__": 1}})
    assert bad.status_code == 409 and "invalid field name" in bad.get_json()["message"]
    assert client.post(f"{API}/signals", json={"name": "nobody"}).status_code == 404
    assert instance_count(deployed) == before


def test_officers_may_not_send(deployed: Flask, auth: AuthActions) -> None:
    instance_id = start(deployed, "msg_catch", "INV-1")
    client = signed_in(auth, Role.OFFICER)
    refused = client.post(f"{API}/messages", json={"name": "payment_received", "business_key": "INV-1"})
    assert refused.status_code == 403 and refused.get_json()["error"] == "forbidden"
    assert client.post(f"{API}/signals", json={"name": "alarm"}).status_code == 403
    assert status(deployed, instance_id) == InstanceStatus.RUNNING and instance_count(deployed) == 1


def test_the_routes_are_in_the_openapi_document(app: Flask) -> None:
    document = app.test_client().get(f"{API}/openapi.json").get_json()
    validate(document)
    assert {"/messages", "/signals"} <= {path.removeprefix(API) for path in document["paths"]}
    assert "business_key" in document["components"]["schemas"]["Message"]["properties"]
