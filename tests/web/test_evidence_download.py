"""GET /evidence/<id>: an attachment with a safe name and the right type, for those who may see the task."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from flask import Flask
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.datastructures import FileStorage

from engine import Actor
from web.app import create_app
from web.config import ConfigError, load_config
from web.evidence.routes import ascii_fallback
from web.evidence.texts import TEXTS
from web.evidence.uploads import evidence_store, uploads_from
from web.services import services
from workflows.evidence import MESSAGES, store_uploads
from workflows.models import Role

from ..lifecycle_helpers import open_tasks
from ..workflows.evidence_samples import PNG_HEADER, SAMPLES
from ..workflows.plan_fixtures import small_plan
from .conftest import AuthActions, make_test_app

OFFICER = Actor("officer1", groups=frozenset({"officer"}), units=frozenset({"U1"}))
REPORT_NAME = "关于理论学习整改情况的报告（第1期）.pdf"
SCRIPT_PNG = PNG_HEADER + b"<html><script>alert(document.cookie)</script></html>"


def download(client, evidence_id: int):
    """GET the evidence and close the response (as a WSGI server would), so its file is closed."""
    response = client.get(f"/evidence/{evidence_id}")
    response.get_data()
    response.close()
    return response


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session], tmp_path: Path) -> Flask:
    return make_test_app(db_engine, EVIDENCE_DIR=str(tmp_path / "evidence"))


@dataclass
class Attached:
    report: int  # evidence ids
    photo: int
    path: Path  # the report's file in the store


@pytest.fixture
def attached(app: Flask, auth: AuthActions) -> Attached:
    """The officer of unit U1 has claimed a progress task and attached a report and a photo; people to sign in."""
    engine = services(app).workflow_engine
    with app.app_context(), services(app).unit_of_work() as session:
        plan = small_plan(session, engine)
        task = next(t for t in open_tasks(session, plan.studying.instance_id, "Task_submit_progress"))
        engine.claim(session, task.id, OFFICER)
        store = evidence_store()
        files = [FileStorage(io.BytesIO(SAMPLES["pdf"][0]), REPORT_NAME, "evidence", "text/html"),
                 FileStorage(io.BytesIO(SCRIPT_PNG), "现场照片.png", "evidence", "text/html")]
        report, photo = store_uploads(session, uploads_from(files), task=task, measure_id=None, actor=OFFICER,
                                      store=store, now=engine.clock())
        result = Attached(report.id, photo.id, store.path_for(report.storage_key))
    auth.create("officer1", "王敏", (Role.OFFICER,), ("U1", "综治科"))
    auth.create("officer2", "刘洋", (Role.OFFICER,), ("U2", "办公室"))
    auth.create("ducha", "赵督查", (Role.SUPERVISION,), None)
    auth.create("admin", "系统管理员", (Role.ADMIN,), None)
    return result


def test_the_officer_of_the_tasks_unit_downloads_an_attachment_with_its_chinese_name(client, auth, attached):
    auth.login("officer1")
    response = download(client, attached.report)
    assert response.status_code == 200
    assert response.data == SAMPLES["pdf"][0]
    assert response.mimetype == "application/pdf"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert f"filename*=UTF-8''{quote(REPORT_NAME, safe='')}" in disposition
    assert f'filename="evidence-{attached.report}.pdf"' in disposition  # ASCII fallback: no Chinese left
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert "private" in response.headers["Cache-Control"]


def test_a_png_holding_a_script_is_served_as_an_image_attachment_never_as_html(client, auth, attached):
    auth.login("officer1")
    response = download(client, attached.photo)
    assert response.status_code == 200 and response.data == SCRIPT_PNG
    assert response.headers["Content-Type"] == "image/png"  # not the text/html the upload claimed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.headers["Content-Security-Policy"].startswith("sandbox")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("login", "status"), [("officer1", 200), ("officer2", 404), ("ducha", 200), ("admin", 200)])
def test_downloads_follow_who_may_see_the_task(client, auth, attached, login, status):
    auth.login(login)
    response = download(client, attached.report)
    assert response.status_code == status
    if status == 404:  # indistinguishable from evidence that does not exist
        assert SAMPLES["pdf"][0] not in response.data
        assert download(client, 999999).status_code == 404
        assert "attachment" not in response.headers.get("Content-Disposition", "")


def test_signed_out_the_download_asks_to_sign_in(client, attached):
    response = download(client, attached.report)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(f"/login?next=/evidence/{attached.report}")


def test_a_file_missing_from_the_store_is_a_clear_410_not_a_500(client, auth, attached):
    attached.path.unlink()
    auth.login("ducha")
    response = download(client, attached.report)
    assert response.status_code == 410
    assert "佐证材料“关于理论学习整改情况的报告（第1期）.pdf”的文件已不在存储中" in response.get_data(as_text=True)
    assert response.mimetype == "text/html" and "attachment" not in response.headers.get("Content-Disposition", "")


def test_the_ascii_fallback_keeps_what_ascii_can_say():
    assert ascii_fallback("Report 2026 (final).pdf", 7) == "Report_2026_(final).pdf"
    assert ascii_fallback("Report 2026 整改.pdf", 7) == "evidence-7.pdf"
    assert ascii_fallback("整改报告.docx", 7) == "evidence-7.docx"
    assert ascii_fallback('a"b\\c.pdf', 7) == "a_b_c.pdf"  # no quote or backslash can break the header


def test_every_evidence_message_is_translated_and_says_what_the_domain_says():
    for key, english in MESSAGES.items():
        assert TEXTS[key][1] == english


def test_evidence_settings_default_under_the_instance_folder_and_are_checked_at_start_up(tmp_path, monkeypatch):
    config = load_config(instance_path=tmp_path)
    assert config["EVIDENCE_DIR"] == str(tmp_path.resolve() / "evidence")
    assert config["EVIDENCE_MAX_BYTES"] == 20 * 1024 * 1024 and config["EVIDENCE_MAX_FILES"] == 10
    assert config["MAX_CONTENT_LENGTH"] >= config["EVIDENCE_MAX_FILES"] * config["EVIDENCE_MAX_BYTES"]
    assert set(config["EVIDENCE_EXTENSIONS"]) == {"pdf", "doc", "docx", "xls", "xlsx", "jpg", "jpeg", "png", "zip"}
    monkeypatch.setenv("RECTIFLOW_EVIDENCE_EXTENSIONS", " PDF, .png ")
    monkeypatch.setenv("RECTIFLOW_EVIDENCE_DIR", str(tmp_path / "files"))
    config = load_config(instance_path=tmp_path)
    assert (config["EVIDENCE_EXTENSIONS"], config["EVIDENCE_DIR"]) == (["pdf", "png"], str(tmp_path / "files"))
    for key, value, says in [
        ("EVIDENCE_EXTENSIONS", ["pdf", "html"], "EVIDENCE_EXTENSIONS: html"),
        ("EVIDENCE_EXTENSIONS", [], "EVIDENCE_EXTENSIONS: none given"),
        ("EVIDENCE_MAX_BYTES", 0, "EVIDENCE_MAX_BYTES must be a whole number >= 1"),
        ("EVIDENCE_MAX_FILES", "many", "EVIDENCE_MAX_FILES must be a whole number >= 1"),
    ]:
        with pytest.raises(ConfigError, match=says):
            create_app({key: value})
