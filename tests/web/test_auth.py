"""Signing in and out: what a person at the login page sees, and what an attacker does not get."""

from __future__ import annotations

import re

import pytest
from flask import Flask, jsonify
from flask.testing import FlaskClient
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from web.auth import current_actor, role_required, safe_next
from workflows.models import Person, Role

from .conftest import PASSWORD, AuthActions, make_test_app


def _location(response) -> str:  # type: ignore[no-untyped-def]
    return response.headers["Location"]


def test_login_page_is_chinese_by_default(client: FlaskClient) -> None:
    page = client.get("/login").get_data(as_text=True)
    assert '<html lang="zh-CN">' in page
    assert "用户名" in page and "密码" in page and "整改通" in page
    assert "Password" not in page


def test_lang_en_switches_to_english_and_sticks(client: FlaskClient) -> None:
    page = client.get("/login?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in page
    assert "Sign in" in page and "Password" in page
    assert "用户名" not in page
    # The choice is remembered for the next pages...
    assert '<html lang="en">' in client.get("/login").get_data(as_text=True)
    # ...until switched back.
    assert '<html lang="zh-CN">' in client.get("/login?lang=zh_CN").get_data(as_text=True)


@pytest.mark.parametrize(
    ("accept", "html_lang"),
    [("en-US,en;q=0.9", "zh-CN"), ("zh-CN,zh;q=0.9,en;q=0.5", "zh-CN"), ("fr-FR", "zh-CN")],
)
def test_chinese_first_whatever_the_browser_asks(client: FlaskClient, accept: str, html_lang: str) -> None:
    page = client.get("/login", headers={"Accept-Language": accept}).get_data(as_text=True)
    assert f'<html lang="{html_lang}">' in page


def test_wrong_password_is_rejected_without_saying_why(client: FlaskClient, auth: AuthActions) -> None:
    auth.create(login="zhangsan")

    wrong_password = auth.login("zhangsan", "not-the-password")
    unknown_login = auth.login("nobody", "not-the-password")

    for response, login in ((wrong_password, "zhangsan"), (unknown_login, "nobody")):
        assert response.status_code == 200
        page = response.get_data(as_text=True)
        assert "用户名或密码错误" in page
        assert f'value="{login}"' in page  # the login is kept in the form
    # Apart from the echoed login, the two answers are identical: no user enumeration.
    assert _normalised(wrong_password.get_data(as_text=True), "zhangsan") == _normalised(
        unknown_login.get_data(as_text=True), "nobody"
    )
    assert client.get("/").status_code == 302  # still signed out


def test_wrong_password_message_in_english(client: FlaskClient, auth: AuthActions) -> None:
    auth.create()
    response = auth.login(password="not-the-password", lang="en")
    assert "Wrong login or password" in response.get_data(as_text=True)


def test_login_then_home_shows_who_you_are(client: FlaskClient, auth: AuthActions) -> None:
    # People with tasks land on the inbox (tests/web/test_inbox_page.py); the others on a welcome page.
    auth.create(name="张三", roles=(Role.ADMIN,), unit=("U01", "市财政局"))

    response = auth.login()
    assert response.status_code == 302
    assert _location(response) == "/"

    page = client.get("/").get_data(as_text=True)
    assert "欢迎，张三！" in page
    assert "市财政局" in page
    assert "您的身份：系统管理员" in page

    english = client.get("/?lang=en").get_data(as_text=True)
    assert "Welcome, 张三!" in english
    assert "Your roles: Administrator" in english


def test_nav_shows_sections_by_role(client: FlaskClient, auth: AuthActions) -> None:
    auth.create(login="officer", roles=(Role.OFFICER,))
    auth.create(login="admin", name="管理员", roles=(Role.ADMIN,), unit=None)

    auth.login("officer")
    officer_page = client.get("/").get_data(as_text=True)
    assert "任务" in officer_page and "台账" in officer_page and "管理" not in officer_page
    auth.logout()

    auth.login("admin")
    admin_page = client.get("/").get_data(as_text=True)
    assert "管理" in admin_page and "未关联单位" in admin_page


def test_anonymous_users_are_sent_to_login(client: FlaskClient) -> None:
    response = client.get("/")
    assert response.status_code == 302
    assert _location(response) == "/login"


def test_anonymous_api_calls_get_401_json(app: Flask) -> None:
    @app.get("/api/probe")
    def probe() -> str:
        return "secret"

    response = app.test_client().get("/api/probe")
    assert response.status_code == 401
    assert response.json == {"error": "unauthorized", "message": "请先登录。"}


def test_next_brings_you_back_after_login(app: Flask, auth: AuthActions) -> None:
    @app.get("/probe/page")
    def probe() -> str:
        return "probe page"

    auth.create()
    first = auth.client.get("/probe/page?x=1")
    assert _location(first) == "/login?next=/probe/page?x%3D1"

    response = auth.login(next="/probe/page?x=1")
    assert _location(response) == "/probe/page?x=1"
    assert auth.client.get("/probe/page?x=1").get_data(as_text=True) == "probe page"


@pytest.mark.parametrize(
    "target",
    ["https://evil.example", "//evil.example", "/\\evil.example", "https:/evil.example", "javascript:x"],
)
def test_next_to_another_site_is_not_followed(auth: AuthActions, target: str) -> None:
    auth.create()
    response = auth.login(next=target)
    assert response.status_code == 302
    assert _location(response) == "/"


def test_safe_next_accepts_only_paths_on_this_site() -> None:
    assert safe_next("/inbox?page=2") == "/inbox?page=2"
    for bad in (None, "", "inbox", "https://evil.example/", "//evil.example", "/\\evil", "/\tx", "\x00/"):
        assert safe_next(bad) is None


def test_logout_requires_post(client: FlaskClient, auth: AuthActions) -> None:
    auth.create()
    auth.login()

    assert client.get("/logout").status_code == 405
    assert client.get("/").status_code == 200  # still signed in

    response = auth.logout()
    assert response.status_code == 302
    assert _location(response) == "/login"
    assert client.get("/").status_code == 302


def test_deactivated_person_is_signed_out(
    client: FlaskClient, auth: AuthActions, committing_sessions: sessionmaker[Session]
) -> None:
    person_id = auth.create()
    auth.login()
    with committing_sessions.begin() as session:
        session.execute(update(Person).where(Person.id == person_id).values(active=False))

    assert client.get("/").status_code == 302
    assert "用户名或密码错误" in auth.login().get_data(as_text=True)


def test_user_text_is_escaped(client: FlaskClient, auth: AuthActions) -> None:
    auth.create(name="<script>alert(1)</script>", unit=("U02", '<img src=x onerror="alert(2)">'))
    auth.login()
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page


def test_pages_forbid_framing_and_foreign_scripts(client: FlaskClient) -> None:
    response = client.get("/login")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"


def test_role_required_and_current_actor(app: Flask, auth: AuthActions) -> None:
    @app.get("/probe/admin")
    @role_required(Role.ADMIN, "supervision")
    def admin_only() -> object:
        actor = current_actor()
        return jsonify(key=actor.key, groups=sorted(actor.groups), units=sorted(actor.units))

    auth.create(login="officer", roles=(Role.OFFICER,))
    auth.create(login="ducha", name="督查员", roles=(Role.SUPERVISION,), unit=("U09", "督查室"))

    auth.login("officer")
    assert auth.client.get("/probe/admin").status_code == 403
    auth.logout()

    auth.login("ducha")
    response = auth.client.get("/probe/admin")
    assert response.status_code == 200
    assert response.json == {"key": "ducha", "groups": ["supervision"], "units": ["U09"]}


@pytest.fixture
def csrf_client(db_engine: Engine, committing_sessions: sessionmaker[Session]) -> FlaskClient:
    return make_test_app(db_engine, WTF_CSRF_ENABLED=True).test_client()


def test_login_without_csrf_token_is_rejected(
    csrf_client: FlaskClient, committing_sessions: sessionmaker[Session]
) -> None:
    AuthActions(csrf_client, committing_sessions).create()

    response = csrf_client.post("/login", data={"login": "zhangsan", "password": PASSWORD})
    assert response.status_code == 400
    assert "页面已过期" in response.get_data(as_text=True)
    assert csrf_client.get("/").status_code == 302  # not signed in

    token = _csrf_token(csrf_client.get("/login").get_data(as_text=True))
    response = csrf_client.post(
        "/login", data={"login": "zhangsan", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    assert csrf_client.get("/").status_code == 200


def test_logout_without_csrf_token_is_rejected(
    csrf_client: FlaskClient, committing_sessions: sessionmaker[Session]
) -> None:
    AuthActions(csrf_client, committing_sessions).create()
    token = _csrf_token(csrf_client.get("/login").get_data(as_text=True))
    csrf_client.post("/login", data={"login": "zhangsan", "password": PASSWORD, "csrf_token": token})

    assert csrf_client.post("/logout").status_code == 400
    assert csrf_client.get("/").status_code == 200  # still signed in
    home = csrf_client.get("/").get_data(as_text=True)
    assert csrf_client.post("/logout", data={"csrf_token": _csrf_token(home)}).status_code == 302
    assert csrf_client.get("/").status_code == 302


def _csrf_token(page: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert match, "the page has no CSRF token"
    return match.group(1)


def _normalised(page: str, login: str) -> str:
    page = re.sub(r'name="csrf_token" value="[^"]*"', "", page)
    return page.replace(f'value="{login}"', 'value=""')
