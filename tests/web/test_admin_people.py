"""The people pages of the admin area (``/admin``, ``/admin/people``): an administrator lists, searches,
adds, edits, deactivates and re-activates people, resets passwords and imports the command line's sheet.
Every change is audited under the administrator; refused input (a taken login, an empty name, an
unknown unit or role, a broken upload) is shown beside the form with 422 and saves nothing.
"""

from __future__ import annotations

import io
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from engine.models import AuditEntry
from workflows.models import Person, Role, UserSession

from .conftest import PASSWORD, AuthActions


@pytest.fixture
def admin(auth: AuthActions) -> FlaskClient:
    """Signed in as the administrator ``admin`` of unit XCB; ``zhangsan`` (officer of U01) exists too."""
    auth.create("admin", "系统管理员", roles=(Role.ADMIN,), unit=("XCB", "区委巡察办"))
    auth.create("zhangsan", "张三", roles=(Role.OFFICER,), unit=("U01", "市财政局"))
    auth.login("admin")
    return auth.client


def person(sessions: sessionmaker[Session], login: str) -> Person | None:
    with sessions() as session:
        found = session.scalar(select(Person).where(Person.login == login))
        if found is not None:
            session.expunge(found)
        return found


def audit_actions(sessions: sessionmaker[Session]) -> list[tuple[str, str]]:
    with sessions() as session:
        return [(a, b) for a, b in session.execute(select(AuditEntry.actor, AuditEntry.action).order_by(AuditEntry.id))]


def people_count(sessions: sessionmaker[Session]) -> int:
    with sessions() as session:
        return session.scalar(select(func.count()).select_from(Person)) or 0


def test_the_overview_counts_people_and_units_and_links_every_section(admin: FlaskClient) -> None:
    page = admin.get("/admin").get_data(as_text=True)
    assert "在用人员 2 人，已停用 0 人" in page and "单位 2 个" in page
    for path in ("/admin/people", "/admin/units", "/admin/processes", "/admin/instances", "/admin/incidents",
                 "/admin/tasks"):
        assert f'href="{path}"' in page


def test_the_list_searches_and_filters(admin: FlaskClient, auth: AuthActions) -> None:
    auth.create("lisi", "李四", roles=(Role.LEADER,), unit=("U01", "市财政局"))
    page = admin.get("/admin/people").get_data(as_text=True)
    assert all(f'data-login="{login}"' in page for login in ("admin", "zhangsan", "lisi"))
    page = admin.get("/admin/people?q=张").get_data(as_text=True)
    assert 'data-login="zhangsan"' in page and 'data-login="lisi"' not in page
    page = admin.get("/admin/people?role=leader&unit=U01").get_data(as_text=True)
    assert 'data-login="lisi"' in page and 'data-login="zhangsan"' not in page
    assert "共 1 人" in page


def test_an_admin_adds_a_person_with_a_generated_password_shown_once(
    admin: FlaskClient, auth: AuthActions, committing_sessions: sessionmaker[Session]
) -> None:
    response = admin.post("/admin/people/new", data={
        "login": "wangwu", "name": "王五", "unit": "U01", "roles": ["officer", "leader"], "phone": "13800000000",
        "email": "ww@example.cn", "password": ""})
    assert response.status_code == 200
    shown = re.search(r'id="generated-password">([^<]+)<', response.get_data(as_text=True))
    assert shown is not None
    added = person(committing_sessions, "wangwu")
    assert added is not None and added.roles == {Role.OFFICER, Role.LEADER} and added.email == "ww@example.cn"
    assert ("admin", "person_added") in audit_actions(committing_sessions)
    auth.logout()
    assert auth.login("wangwu", shown.group(1)).status_code == 302  # the password works
    assert shown.group(1) not in admin.get("/admin/people").get_data(as_text=True)


@pytest.mark.parametrize(("form", "message"), [
    ({"login": "zhangsan", "name": "张三二", "roles": "officer"}, "zhangsan is taken"),
    ({"login": "new1", "name": "", "roles": "officer"}, "姓名"),
    ({"login": "new2", "name": "某人", "roles": "officer", "unit": "NOPE"}, "NOPE"),
    ({"login": "new3", "name": "某人", "roles": "boss"}, "boss"),
    ({"login": "new4", "name": "某人"}, "角色为空"),
    ({"login": "new5", "name": "某人", "roles": "officer", "password": "short"}, "8"),
])
def test_refused_input_is_shown_beside_the_form_and_saves_nothing(
    admin: FlaskClient, committing_sessions: sessionmaker[Session], form: dict[str, str], message: str
) -> None:
    before = people_count(committing_sessions), audit_actions(committing_sessions)
    response = admin.post("/admin/people/new", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="person-error"' in page and message in page
    assert f'value="{form["login"]}"' in page  # what was typed stays
    assert (people_count(committing_sessions), audit_actions(committing_sessions)) == before


def test_user_text_is_escaped(admin: FlaskClient) -> None:
    response = admin.post("/admin/people/new", data={"login": "evil", "name": "<script>x</script>",
                                                     "roles": "officer", "password": PASSWORD})
    assert response.status_code == 200
    page = admin.get("/admin/people").get_data(as_text=True)
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page


def test_an_admin_edits_a_person(admin: FlaskClient, committing_sessions: sessionmaker[Session]) -> None:
    zhang = person(committing_sessions, "zhangsan")
    assert zhang is not None
    response = admin.post(f"/admin/people/{zhang.id}", data={
        "name": "张三丰", "unit": "XCB", "roles": ["supervision"], "phone": "", "email": ""})
    assert response.status_code == 303
    changed = person(committing_sessions, "zhangsan")
    assert changed is not None and changed.name == "张三丰" and changed.roles == {Role.SUPERVISION}
    assert "已保存 zhangsan 的修改" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert ("admin", "person_updated") in audit_actions(committing_sessions)
    refused = admin.post(f"/admin/people/{zhang.id}", data={"name": " ", "roles": ["officer"]})
    assert refused.status_code == 422
    still = person(committing_sessions, "zhangsan")
    assert still is not None and still.name == "张三丰"


def test_deactivating_ends_their_sessions_and_activating_lets_them_back(
    admin: FlaskClient, app: Flask, committing_sessions: sessionmaker[Session]
) -> None:
    theirs = app.test_client()
    theirs.post("/login", data={"login": "zhangsan", "password": PASSWORD})
    assert theirs.get("/").status_code == 200
    zhang = person(committing_sessions, "zhangsan")
    assert zhang is not None
    response = admin.post(f"/admin/people/{zhang.id}/deactivate")
    assert response.status_code == 303
    assert "已停用 zhangsan，结束会话 1 个" in admin.get(response.headers["Location"]).get_data(as_text=True)
    assert theirs.get("/").status_code == 302  # signed out
    with committing_sessions() as session:
        assert session.scalar(select(func.count()).select_from(UserSession)
                              .where(UserSession.person_id == zhang.id)) == 0
    assert 'data-login="zhangsan"' in admin.get("/admin/people?active=no").get_data(as_text=True)
    assert admin.post(f"/admin/people/{zhang.id}/activate").status_code == 303
    back = person(committing_sessions, "zhangsan")
    assert back is not None and back.active
    actions = [a for _, a in audit_actions(committing_sessions)]
    assert "person_deactivated" in actions and "person_activated" in actions


def test_the_last_administrator_cannot_be_deactivated(admin: FlaskClient,
                                                      committing_sessions: sessionmaker[Session]) -> None:
    me = person(committing_sessions, "admin")
    assert me is not None
    response = admin.post(f"/admin/people/{me.id}/deactivate")
    assert response.status_code == 422
    assert "last active administrator" in response.get_data(as_text=True)
    still = person(committing_sessions, "admin")
    assert still is not None and still.active


def test_a_password_reset_shows_a_generated_one_once_or_takes_a_typed_one(
    admin: FlaskClient, app: Flask, committing_sessions: sessionmaker[Session]
) -> None:
    theirs = app.test_client()
    theirs.post("/login", data={"login": "zhangsan", "password": PASSWORD})
    zhang = person(committing_sessions, "zhangsan")
    assert zhang is not None
    response = admin.post(f"/admin/people/{zhang.id}/password", data={"password": ""})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "结束会话 1 个" in page
    generated = re.search(r'id="generated-password">([^<]+)<', page)
    assert generated is not None
    assert theirs.get("/").status_code == 302
    assert theirs.post("/login", data={"login": "zhangsan", "password": generated.group(1)}).status_code == 302
    typed = admin.post(f"/admin/people/{zhang.id}/password", data={"password": "another-good-one"})
    assert typed.status_code == 200 and "another-good-one" not in typed.get_data(as_text=True)
    short = admin.post(f"/admin/people/{zhang.id}/password", data={"password": "short"})
    assert short.status_code == 422
    assert [a for _, a in audit_actions(committing_sessions)].count("password_changed") == 2


def test_an_unknown_person_is_404(admin: FlaskClient) -> None:
    assert admin.get("/admin/people/999999").status_code == 404
    assert admin.post("/admin/people/999999/deactivate").status_code == 404


SHEET = "登录名,姓名,单位,角色,手机,邮箱\nliuyang,刘洋,市财政局,经办人,,\nzhangsan,张三,区委巡察办,督查,,\n"


def _upload(client: FlaskClient, text: str, name: str = "人员.csv", **form: str) -> tuple[int, str]:
    data: dict[str, object] = {"step": "check", **form, "file": (io.BytesIO(text.encode("utf-8")), name)}
    response = client.post("/admin/people/import", data=data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_an_import_shows_what_would_change_then_imports_all(
    admin: FlaskClient, committing_sessions: sessionmaker[Session]
) -> None:
    status, page = _upload(admin, SHEET)
    assert status == 200 and "新增 1 人，更新 1 人" in page
    assert person(committing_sessions, "liuyang") is None  # checked only
    carried = re.search(r'name="data" value="([^"]+)"', page)
    assert carried is not None
    done = admin.post("/admin/people/import", data={"step": "apply", "name": "人员.csv", "data": carried.group(1)})
    page = done.get_data(as_text=True)
    assert done.status_code == 200 and "新增 1 人，更新 1 人" in page
    assert re.search(r'<code class="admin-password">[A-Za-z0-9]{16}</code>', page)
    added, updated = person(committing_sessions, "liuyang"), person(committing_sessions, "zhangsan")
    assert added is not None and updated is not None and updated.roles == {Role.SUPERVISION}
    assert ("admin", "person_added") in audit_actions(committing_sessions)


@pytest.mark.parametrize(("text", "name", "message"), [
    (SHEET + "bad login!,某人,市财政局,经办人,,\n", "人员.csv", "1 行有误"),
    ("登录名,姓名,单位,角色\nx1,某人,不存在的单位,经办人\n", "人员.csv", "不存在的单位"),
    ("a,b\n1,2\n", "人员.csv", ""),
    ("whatever", "人员.txt", "不是 .xlsx 或 .csv"),
    ("PK\x03\x04broken", "人员.xlsx", ""),
])
def test_a_broken_sheet_lists_its_errors_and_imports_nothing(
    admin: FlaskClient, committing_sessions: sessionmaker[Session], text: str, name: str, message: str
) -> None:
    before = people_count(committing_sessions)
    status, page = _upload(admin, text, name)
    assert status == 422 and 'id="import-error"' in page and message in page
    assert people_count(committing_sessions) == before


def test_an_import_without_a_file_is_refused(admin: FlaskClient) -> None:
    response = admin.post("/admin/people/import", data={"step": "check"})
    assert response.status_code == 422 and "请选择" in response.get_data(as_text=True)


def test_a_login_taken_at_the_same_moment_is_a_409_with_a_message(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch, committing_sessions: sessionmaker[Session]
) -> None:
    from sqlalchemy.exc import IntegrityError

    import web.admin.people_routes as routes

    def lost_race(*_args: object, **_kwargs: object) -> Person:
        raise IntegrityError("INSERT INTO person", {}, Exception("UNIQUE constraint failed: person.login"))

    monkeypatch.setattr(routes, "add_person", lost_race)
    response = admin.post("/admin/people/new", data={"login": "race", "name": "某人", "roles": "officer"})
    assert response.status_code == 409 and "同时" in response.get_data(as_text=True)
    assert person(committing_sessions, "race") is None


def test_the_pages_speak_english_on_request(admin: FlaskClient) -> None:
    page = admin.get("/admin/people?lang=en").get_data(as_text=True)
    assert "Add a person" in page and "Import a list" in page and "Open tasks" in page
