"""The process versions page: deploying a revised diagram makes a new version (running instances keep
theirs), the same file again is "unchanged", and a refused diagram lists every problem per element and
deploys nothing."""

from __future__ import annotations

from html import unescape
from io import BytesIO
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, ProcessDefinition, ProcessInstance
from engine.models import AuditEntry
from web.services import services

from ..conftest import START
from .authorisation_world import World, build_world
from .conftest import make_test_app

DIAGRAM = (Path(__file__).resolve().parents[2] / "bpmn" / "rectification.bpmn").read_text(encoding="utf-8")
REVISED = DIAGRAM.replace("重启整改 Reopen rectification", "重新整改 Reopen rectification (revised)")
# Two problems in one file: a second element with the id 'Script_reopen' and a script the sandbox refuses.
REFUSED = REVISED.replace(
    '<bpmn:scriptTask id="Script_reopen"',
    '<bpmn:task id="Script_reopen" name="Duplicate" /><bpmn:scriptTask id="Script_reopen"',
).replace("reopen_count = reopen_count + 1", "import os\nreopen_count = reopen_count + 1")


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> Flask:
    return make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START))


@pytest.fixture
def world(app: Flask) -> World:
    return build_world(app)


def upload(world: World, text: str, name: str = "rectification.bpmn"):  # type: ignore[no-untyped-def]
    return world.clients["admin"].post("/admin/processes", data={"diagram": (BytesIO(text.encode()), name)})


def versions(world: World) -> list[int]:
    with services(world.app).unit_of_work() as session:
        return list(session.scalars(select(ProcessDefinition.version)
                                    .where(ProcessDefinition.process_key == "rectification")
                                    .order_by(ProcessDefinition.version)))


def test_a_revised_diagram_is_a_new_version_and_running_instances_keep_theirs(world: World) -> None:
    page = world.clients["admin"].get("/admin/processes").get_data(as_text=True)
    assert "rectification.bpmn" in page and 'data-version="1"' in page

    response = upload(world, REVISED)
    assert response.status_code == 303
    page = world.clients["admin"].get("/admin/processes").get_data(as_text=True)
    assert "已部署 rectification 第 2 版" in page
    assert versions(world) == [1, 2]
    with services(world.app).unit_of_work() as session:
        running = session.scalar(select(func.count()).select_from(ProcessInstance)) or 0
        deploys = list(session.scalars(select(AuditEntry).where(AuditEntry.action == "deploy").order_by(AuditEntry.id)))
    assert deploys[-1].actor == "admin" and deploys[-1].detail["version"] == 2
    # Version 2 has no running instance; version 1 keeps all of them.
    assert '<tr class="version-row" data-version="2">' in page
    assert page.count('<td class="running">0</td>') >= 1 and f'<td class="running">{running}</td>' in page
    instance = world.clients["admin"].get(f"/admin/instances/{world.instance_id}").get_data(as_text=True)
    assert "运行流程 rectification 第 1 版" in instance and "最新为第 2 版" in instance

    assert upload(world, REVISED).status_code == 303
    assert "内容未变，仍为第 2 版" in world.clients["admin"].get("/admin/processes").get_data(as_text=True)
    assert versions(world) == [1, 2]


def test_a_refused_diagram_lists_every_problem_per_element_and_deploys_nothing(world: World) -> None:
    response = upload(world, REFUSED, "broken.bpmn")
    assert response.status_code == 422
    page = unescape(response.get_data(as_text=True))
    assert "流程图未部署：发现 2 个问题" in page and "broken.bpmn" in page
    assert page.count('class="refusal-row"') == 2
    assert "already used on line" in page and "script of 'Script_reopen'" in page
    assert page.count("<td>scriptTask</td>") == 2  # the second Script_reopen, and the script inside it
    assert versions(world) == [1]


@pytest.mark.parametrize(("name", "words"), [(None, "请选择一个 .bpmn 文件"), ("notes.txt", "只能上传 .bpmn 文件")])
def test_no_file_or_another_kind_of_file_is_refused_clearly(world: World, name: str | None, words: str) -> None:
    data = {"diagram": (BytesIO(b"hello"), name)} if name else {}
    response = world.clients["admin"].post("/admin/processes", data=data)
    assert response.status_code == 400 and words in response.get_data(as_text=True)
    assert versions(world) == [1]


def test_a_file_that_is_not_xml_is_refused_with_its_message(world: World) -> None:
    response = upload(world, "not xml at all", "junk.bpmn")
    assert response.status_code == 422
    assert 'class="refusal-row"' in response.get_data(as_text=True)
    assert versions(world) == [1]
