"""Bad input gets a clear message and changes nothing.

Oversize, disallowed, empty and disguised uploads; a request over the size limit; a form with
a missing or wrong field; a task already completed or held by someone else; an id that names
nothing; a forged CSRF token. Each answer is checked for its message, and the database (every
task's state, the evidence rows) and the evidence folder are compared before and after.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import FileStorage
from werkzeug.test import TestResponse, stream_encode_multipart

from engine import FixedClock, TaskStatus

from ..conftest import START
from .authorisation_world import COLLEAGUE, PEOPLE, World, build_world, csrf_token, sign_in
from .conftest import make_test_app

MB = 1024 * 1024
PDF = b"%PDF-1.4\n% a scanned page\n%%EOF\n"


def _world(db_engine: Engine, **config: Any) -> World:
    app = make_test_app(db_engine, ENGINE_CLOCK=FixedClock(START), **config)
    return build_world(app)


@pytest.fixture
def world(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> World:
    """The authorisation world with a 1 MB evidence limit (the tables are emptied after the test)."""
    return _world(db_engine, EVIDENCE_MAX_BYTES=MB)


def _stored_files(app: Flask) -> list[Path]:
    return sorted(path for path in Path(app.config["EVIDENCE_DIR"]).rglob("*") if path.is_file())


def _text(response: TestResponse) -> str:
    return response.get_data(as_text=True)


def _unchanged(world: World, act: Any) -> TestResponse:
    """Do ``act()``; assert it changed no task, no evidence row and no stored file; its response."""
    before, files = world.snapshot(), _stored_files(world.app)
    response: TestResponse = act()
    assert world.snapshot() == before, "refused input changed the database"
    assert _stored_files(world.app) == files, "refused input left a file in the evidence store"
    return response


def _submit(world: World, files: list[tuple[bytes, str]], progress: str = "已完成整改") -> TestResponse:
    task = world.claimed_task["officer_own"]
    fields: dict[str, Any] = {"progress": progress,
                              "evidence": [FileStorage(io.BytesIO(c), filename=name) for c, name in files]}
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    stream, length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    body = stream.read()
    assert length == len(body)
    return world.clients["officer_own"].post(f"/tasks/{task}/complete", data=body,
                                             content_type=f"multipart/form-data; boundary={boundary}")


@pytest.mark.parametrize(("content", "name", "message"), [
    (b"%PDF-1.4\n" + b"0" * MB, "会议记录.pdf", "会议记录.pdf：文件超过"),
    (b"<html><script>alert(1)</script></html>", "说明.html", "说明.html：不支持上传此类文件"),
    (b"MZ\x90\x00", "工具.exe", "工具.exe：不支持上传此类文件"),
    (b"<html>not a picture</html>", "现场照片.png", "现场照片.png：文件内容与扩展名 .png 不符"),
    (b"", "空白.pdf", "空白.pdf：文件为空"),
], ids=["oversize", "html", "exe", "disguised", "empty"])
def test_a_refused_file_says_why_keeps_what_was_typed_and_stores_nothing(
    world: World, content: bytes, name: str, message: str
) -> None:
    # A good file beside the bad one: all or nothing, so the good one is not kept either.
    response = _unchanged(world, lambda: _submit(world, [(PDF, "签到表.pdf"), (content, name)],
                                                 progress="已制定制度并印发"))
    assert response.status_code == 422
    page = _text(response)
    assert message in page
    assert "已制定制度并印发" in page  # what was typed is still in the form
    assert world.task(world.claimed_task["officer_own"]).status == TaskStatus.OPEN


def test_a_request_over_the_size_limit_is_refused_plainly(db_engine: Engine,
                                                          committing_sessions: sessionmaker[Session]) -> None:
    world = _world(db_engine, EVIDENCE_MAX_BYTES=MB, MAX_CONTENT_LENGTH=2 * MB)
    response = _unchanged(world, lambda: _submit(world, [(b"%PDF-1.4\n" + b"0" * (3 * MB), "扫描件.pdf")]))
    assert response.status_code == 413
    assert "上传的文件太大" in _text(response)


@pytest.mark.parametrize(("task", "form", "field", "message"), [
    ("claimed", {"progress": "  "}, "progress", "请填写整改进展"),
    ("approval", {"review_decision": "maybe"}, "review_decision", "审批意见必须是以下之一"),
    ("approval", {"review_decision": "return", "reason": ""}, "reason", "请填写退回理由"),
], ids=["missing-progress", "unknown-decision", "return-without-reason"])
def test_a_form_with_a_missing_or_wrong_field_shows_the_error_beside_it(
    world: World, task: str, form: dict[str, str], field: str, message: str
) -> None:
    if task == "approval":
        client, task_id = world.clients["leader"], world.approval_task
        assert client.post(f"/tasks/{task_id}/claim").status_code == 302
    else:
        client, task_id = world.clients["officer_own"], world.claimed_task["officer_own"]
    response = _unchanged(world, lambda: client.post(f"/tasks/{task_id}/complete", data=form))
    assert response.status_code == 422
    page = _text(response)
    error_at = page.find(f'id="field-{field}-error"')
    assert error_at != -1, f"no error beside {field}"
    assert message in page[error_at:error_at + 300]


def test_a_completed_task_cannot_be_completed_or_claimed_again(world: World) -> None:
    client, task = world.clients["officer_own"], world.done_task
    response = _unchanged(world, lambda: client.post(f"/tasks/{task}/complete", data={"progress": "再交一次"}))
    assert response.status_code == 409
    assert f"该任务已由 {PEOPLE['officer_own'][1]} 办结" in _text(response)
    assert "再交一次" in _text(response)  # kept, so nothing typed is lost
    response = _unchanged(world, lambda: client.post(f"/tasks/{task}/claim", follow_redirects=True))
    assert "该任务已办理完成。" in _text(response)


def test_a_task_held_by_someone_else_names_its_holder(world: World) -> None:
    colleague = world.app.test_client()
    sign_in(colleague, COLLEAGUE[0])
    task = world.claimed_task["officer_own"]
    holder = PEOPLE["officer_own"][1]
    response = _unchanged(world, lambda: colleague.post(f"/tasks/{task}/claim", follow_redirects=True))
    assert f"该任务已被{holder}领取。" in _text(response)
    response = _unchanged(world, lambda: colleague.post(f"/tasks/{task}/complete", data={"progress": "抢先提交"}))
    assert response.status_code == 403
    assert holder in _text(response) and "抢先提交" in _text(response)


NOT_FOUND = "页面或记录不存在"


@pytest.mark.parametrize(("method", "path", "message"), [
    ("GET", "/tasks/999999", NOT_FOUND), ("POST", "/tasks/999999/claim", NOT_FOUND),
    ("POST", "/tasks/999999/unclaim", NOT_FOUND), ("POST", "/tasks/999999/complete", NOT_FOUND),
    ("POST", "/tasks/999999/reassign", NOT_FOUND), ("GET", "/evidence/999999", "佐证材料 999999 不存在"),
    ("GET", "/tasks/abc", NOT_FOUND), ("GET", "/tasks/-1", NOT_FOUND), ("GET", "/evidence/1e3", NOT_FOUND),
])
def test_an_id_that_names_nothing_is_not_found(world: World, method: str, path: str, message: str) -> None:
    client = world.clients["admin"]  # sees everything there is; still nothing here
    response = _unchanged(world, lambda: client.open(path, method=method, data={"progress": "x"}))
    assert response.status_code == 404
    assert message in _text(response)


def test_a_forged_csrf_token_is_refused_and_the_real_one_works(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    world = _world(db_engine, WTF_CSRF_ENABLED=True)
    client: FlaskClient = world.clients["officer_own"]
    task = world.open_task["officer_own"]
    for form in ({"csrf_token": "forged-token"}, {}):
        response = _unchanged(world, lambda form=form: client.post(f"/tasks/{task}/claim", data=form))
        assert response.status_code == 400
        assert "页面已过期或表单无效，请刷新页面后重试。" in _text(response)
    claimed = world.claimed_task["officer_own"]
    response = _unchanged(world, lambda: client.post(
        f"/tasks/{claimed}/complete", data={"csrf_token": "forged-token", "progress": "已完成"}))
    assert response.status_code == 400
    token = csrf_token(client.get(f"/tasks/{task}").get_data(as_text=True))
    assert client.post(f"/tasks/{task}/claim", data={"csrf_token": token}).status_code == 302
    assert world.task(task).assignee == PEOPLE["officer_own"][0]
