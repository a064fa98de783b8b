"""The units page of the admin area (``/admin/units``): every unit with its active people, adding a unit
(unique code and name) and renaming one; each change audited, a refused one shown beside its form (422)."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine.models import AuditEntry
from workflows.models import Role, Unit

from .conftest import AuthActions


@pytest.fixture
def admin(auth: AuthActions) -> FlaskClient:
    auth.create("admin", "系统管理员", roles=(Role.ADMIN,), unit=("XCB", "区委巡察办"))
    auth.create("zhangsan", "张三", roles=(Role.OFFICER,), unit=("U01", "市财政局"))
    auth.login("admin")
    return auth.client


def units(sessions: sessionmaker[Session]) -> dict[str, str]:
    with sessions() as session:
        return {code: name for code, name in session.execute(select(Unit.code, Unit.name))}


def audited(sessions: sessionmaker[Session]) -> list[tuple[str, str, object]]:
    with sessions() as session:
        return [tuple(row) for row in session.execute(  # type: ignore[misc]
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id))]


def test_the_list_shows_every_unit_and_its_people(admin: FlaskClient) -> None:
    page = admin.get("/admin/units").get_data(as_text=True)
    assert 'data-code="U01"' in page and "市财政局" in page and 'href="/admin/people?unit=U01">1</a>' in page


def test_an_admin_adds_and_renames_a_unit(admin: FlaskClient, committing_sessions: sessionmaker[Session]) -> None:
    response = admin.post("/admin/units", data={"code": "U02", "name": "办公室"})
    assert response.status_code == 303
    assert "已新增单位 U02 办公室" in admin.get("/admin/units").get_data(as_text=True)
    response = admin.post("/admin/units/U02/rename", data={"name": "党政办公室"})
    assert response.status_code == 303
    assert units(committing_sessions)["U02"] == "党政办公室"
    log = audited(committing_sessions)
    assert ("admin", "unit_added", {"code": "U02", "name": "办公室"}) in log
    assert ("admin", "unit_renamed", {"code": "U02", "old_name": "办公室", "name": "党政办公室"}) in log


@pytest.mark.parametrize(("form", "message"), [
    ({"code": "U01", "name": "新单位"}, "already exists"),
    ({"code": "U09", "name": "市财政局"}, "already exists"),
    ({"code": "", "name": "新单位"}, "单位代码为空"),
    ({"code": "U09", "name": " "}, "单位名称为空"),
    ({"code": "有空 格", "name": "新单位"}, "不允许的字符"),
])
def test_a_refused_unit_is_shown_beside_the_form_and_nothing_is_saved(
    admin: FlaskClient, committing_sessions: sessionmaker[Session], form: dict[str, str], message: str
) -> None:
    before = units(committing_sessions), audited(committing_sessions)
    response = admin.post("/admin/units", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="unit-error"' in page and message in page
    assert (units(committing_sessions), audited(committing_sessions)) == before


def test_a_refused_rename_changes_nothing(admin: FlaskClient, committing_sessions: sessionmaker[Session]) -> None:
    before = units(committing_sessions)
    taken = admin.post("/admin/units/U01/rename", data={"name": "区委巡察办"})
    assert taken.status_code == 422 and "already belongs to unit XCB" in taken.get_data(as_text=True)
    assert admin.post("/admin/units/U01/rename", data={"name": ""}).status_code == 422
    assert admin.post("/admin/units/NOPE/rename", data={"name": "某单位"}).status_code == 404
    assert units(committing_sessions) == before


def test_unit_names_are_escaped(admin: FlaskClient) -> None:
    assert admin.post("/admin/units", data={"code": "X1", "name": "<b>粗</b>"}).status_code == 303
    page = admin.get("/admin/units").get_data(as_text=True)
    assert "<b>粗</b>" not in page and "&lt;b&gt;粗&lt;/b&gt;" in page
