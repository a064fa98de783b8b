"""The JSON API's resource routes (``web/api/resource_routes.py``): rounds with their counters, the
ledger's problems and measures (filters, scope, cursor paging), instances, process definitions
(listing and deploying), one's reminders — on the authorisation world, through the browser session.

Problem P (unit U1, leader1) has 17 measures; the other problem (unit U2, leader2) has one.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, ProcessDefinition
from web.services import services
from workflows.models import Problem, Reminder
from workflows.schema import BPMN_DIR
from workflows.supervision_models import ReminderReason

from ..conftest import START
from .authorisation_world import MEASURE_TEXT, OTHER_MEASURE_TEXT, World, build_world
from .conftest import make_test_app

API = "/api/v1"
PROBLEM_P, OTHER = "理论学习不够深入", "请休假管理不到位"


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    return build_world(make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START)))


def get_json(client: FlaskClient, path: str, status: int = 200) -> Any:
    response = client.get(path)
    assert response.status_code == status, (path, response.status_code, response.get_data(as_text=True)[:300])
    assert response.is_json, path
    return response.get_json()


def walk(client: FlaskClient, path: str) -> list[list[Any]]:
    """Every page of a listing, following ``next_cursor``."""
    pages, cursor = [], None
    while True:
        sep = "&" if "?" in path else "?"
        body = get_json(client, path + (f"{sep}cursor={cursor}" if cursor else ""))
        pages.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return pages


def problem_ids(world: World) -> dict[str, int]:
    with services(world.app).unit_of_work() as session:
        return {title: pid for pid, title in session.execute(select(Problem.id, Problem.title)).tuples()}


def test_rounds_list_and_counters_follow_the_callers_scope(world: World) -> None:
    rounds = get_json(world.clients["supervision"], f"{API}/rounds")
    assert [r["title"] for r in rounds["items"]] == ["区委第二巡察组反馈意见整改"] and rounds["next_cursor"] is None
    assert rounds["items"][0]["inspected_unit"] == "区委政法委"
    round_id = rounds["items"][0]["id"]
    every = get_json(world.clients["supervision"], f"{API}/rounds/{round_id}")
    assert every["counters"]["problems"] == 2 and every["counters"]["measures"] == 18
    own = get_json(world.clients["officer_other"], f"{API}/rounds/{round_id}")
    assert own["counters"]["problems"] == 1 and own["counters"]["measures"] == 1
    assert get_json(world.clients["officer_own"], f"{API}/rounds/{round_id + 999}", 404)["error"]


def test_problems_are_paged_by_cursor_and_filtered_like_the_ledger(world: World) -> None:
    client = world.clients["supervision"]
    pages = walk(client, f"{API}/problems?limit=1")
    assert [[p["title"] for p in page] for page in pages] == [[PROBLEM_P], [OTHER]]
    first = pages[0][0]
    assert first["number"] == "1.1" and first["lead_unit"] == "综治科" and first["responsible_leader"] == "李书记"
    assert len(first["measures"]) == 17 and first["measures"][0]["text"].startswith(MEASURE_TEXT)
    assert first["measures"][0]["deadline"] == "2026-06-30" and first["measures"][0]["deadline_history"] == []
    assert first["status"] and first["instance_id"] == world.instance_id
    titles = lambda query: [p["title"] for p in get_json(client, f"{API}/problems?{query}")["items"]]  # noqa: E731
    assert titles("q=请休假") == [OTHER]
    assert titles("unit=U2") == [OTHER]
    assert titles(f"q={OTHER_MEASURE_TEXT[:4]}") == [OTHER]
    colour = first["colour"]
    assert colour is None or PROBLEM_P in titles(f"colour={colour}")
    assert titles("status=closed") == []
    assert client.get(f"{API}/problems?status=nonsense").status_code == 422
    assert client.get(f"{API}/problems?limit=0").status_code == 422
    bad = client.get(f"{API}/problems?cursor=@@@")
    assert bad.status_code == 400 and bad.get_json()["error"] == "bad_cursor"


def test_an_officer_sees_only_their_own_units_problems_and_rows(world: World) -> None:
    ids = problem_ids(world)
    own = get_json(world.clients["officer_own"], f"{API}/problems")["items"]
    assert [p["title"] for p in own] == [PROBLEM_P]
    other = get_json(world.clients["officer_other"], f"{API}/problems")["items"]
    assert [p["title"] for p in other] == [OTHER]
    assert [m["text"] for m in other[0]["measures"]] == [OTHER_MEASURE_TEXT]
    # An invisible problem or measure is a 404, the same as one that does not exist.
    assert get_json(world.clients["officer_other"], f"{API}/problems/{ids[PROBLEM_P]}", 404)["error"]
    assert get_json(world.clients["officer_other"], f"{API}/problems/999999", 404)["error"]
    detail = get_json(world.clients["officer_own"], f"{API}/problems/{ids[PROBLEM_P]}")
    assert detail["title"] == PROBLEM_P and len(detail["measures"]) == 17
    measure_id = detail["measures"][0]["id"]
    measure = get_json(world.clients["officer_own"], f"{API}/measures/{measure_id}")
    assert measure["problem_id"] == ids[PROBLEM_P] and measure["text"] == detail["measures"][0]["text"]
    assert get_json(world.clients["officer_other"], f"{API}/measures/{measure_id}", 404)["error"]


def test_instances_are_for_supervision_and_admin(world: World) -> None:
    for role in ("officer_own", "leader", "unit_leader"):
        assert world.clients[role].get(f"{API}/instances").status_code == 403, role
        assert world.clients[role].get(f"{API}/instances/{world.instance_id}").status_code == 403, role
    client = world.clients["supervision"]
    pages = walk(client, f"{API}/instances?limit=1&status=running&process=rectification")
    assert len(pages) == 2 and all(len(page) == 1 for page in pages)
    listed = pages[0][0]
    assert listed["id"] == world.instance_id and listed["version"] == 1
    keyed = get_json(client, f"{API}/instances?business_key={listed['business_key']}")["items"]
    assert [i["id"] for i in keyed] == [world.instance_id]
    assert get_json(client, f"{API}/instances?status=completed")["items"] == []
    detail = get_json(world.clients["admin"], f"{API}/instances/{world.instance_id}")
    assert detail["status"] == "running" and detail["process_key"] == "rectification"
    open_ids = {t["id"] for t in detail["open_tasks"]}
    assert world.approval_task in open_ids and world.done_task not in open_ids
    assert detail["position"]["current"] and detail["position"]["completed"]
    assert isinstance(detail["timers"], list)
    assert get_json(client, f"{API}/instances/999999", 404)["error"] == "not_found"


def upload(client: FlaskClient, name: str, content: bytes) -> Any:
    return client.post(f"{API}/process-definitions", data={"file": (io.BytesIO(content), name)},
                       content_type="multipart/form-data")


def definitions(world: World) -> int:
    with services(world.app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(ProcessDefinition)) or 0


def test_process_definitions_list_and_deploy(world: World) -> None:
    listed = get_json(world.clients["supervision"], f"{API}/process-definitions")["items"]
    assert {(d["process_key"], d["version"]) for d in listed} >= {("rectification", 1)}
    original = (BPMN_DIR / "rectification.bpmn").read_bytes()
    before = definitions(world)
    assert upload(world.clients["supervision"], "rectification.bpmn", original).status_code == 403
    assert upload(world.clients["officer_own"], "rectification.bpmn", original).status_code == 403
    same = upload(world.clients["admin"], "rectification.bpmn", original)
    assert same.status_code == 201 and [d["created"] for d in same.get_json()["items"]] == [False]
    revised = original.replace(b"</bpmn:definitions>", b"<!-- revised --></bpmn:definitions>")
    assert revised != original
    new = upload(world.clients["admin"], "rectification.bpmn", revised)
    assert new.status_code == 201, new.get_data(as_text=True)
    assert [(d["process_key"], d["version"], d["created"]) for d in new.get_json()["items"]] == [
        ("rectification", 2, True)]
    # The running instance keeps its version.
    assert get_json(world.clients["admin"], f"{API}/instances/{world.instance_id}")["version"] == 1
    refused = upload(world.clients["admin"], "broken.bpmn", b"<bpmn:definitions")
    assert refused.status_code == 422
    body = refused.get_json()
    assert body["error"] == "diagram_refused" and body["refusals"] and "broken.bpmn" in body["refusals"][0]
    assert upload(world.clients["admin"], "notes.txt", b"hello").status_code == 422
    assert world.clients["admin"].post(f"{API}/process-definitions").status_code == 422
    assert definitions(world) == before + 1


def add_reminders(world: World, login: str, count: int) -> list[int]:
    with services(world.app).unit_of_work() as session:
        rows = [Reminder(recipient=login, reason=ReminderReason.WARNING, cause=f"test:{login}:{n}",
                         subject=f"提醒{n}", body="请按时整改", created_at=START + timedelta(minutes=n))
                for n in range(count)]
        session.add_all(rows)
        session.flush()
        return [r.id for r in rows]


def unread(world: World, login: str) -> int:
    with services(world.app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(Reminder).where(
            Reminder.recipient == login, Reminder.read_at.is_(None))) or 0


def test_reminders_are_ones_own_and_marked_read(world: World) -> None:
    mine = add_reminders(world, "officer1", 3)
    theirs = add_reminders(world, "officer2", 1)
    client = world.clients["officer_own"]
    pages = walk(client, f"{API}/reminders?limit=2")
    assert [[r["id"] for r in page] for page in pages] == [mine[:2], mine[2:]]
    assert pages[0][0]["subject"] == "提醒0" and pages[0][0]["read_at"] is None
    refused = client.post(f"{API}/reminders/read", json={"ids": [mine[0], theirs[0]]})
    assert refused.status_code == 404 and unread(world, "officer1") == 3 and unread(world, "officer2") == 1
    one = client.post(f"{API}/reminders/read", json={"ids": [mine[0]]})
    assert one.status_code == 200 and one.get_json() == {"marked": 1}
    assert [r["id"] for r in get_json(client, f"{API}/reminders?unread=true")["items"]] == mine[1:]
    rest = client.post(f"{API}/reminders/read", json={})
    assert rest.get_json() == {"marked": 2} and unread(world, "officer1") == 0 and unread(world, "officer2") == 1


def test_the_openapi_document_lists_the_resource_routes(world: World) -> None:
    paths = get_json(world.clients["officer_own"], f"{API}/openapi.json")["paths"]
    for path in ("/api/v1/rounds", "/api/v1/problems", "/api/v1/problems/{problem_id}", "/api/v1/instances",
                 "/api/v1/process-definitions", "/api/v1/reminders", "/api/v1/reminders/read"):
        assert path in paths, path
