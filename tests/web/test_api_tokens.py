"""Personal API tokens: created once in clear, stored as a hash, listed, revoked; a token signs an API request
in (and nothing else); a session-cookie write to the API needs its CSRF token, a token request does not."""

from __future__ import annotations

import hashlib
import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from web.config import ConfigError
from workflows.models import ApiToken, Role

from .conftest import AuthActions, make_test_app


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def auth(client: FlaskClient, committing_sessions: sessionmaker[Session]) -> AuthActions:
    actions = AuthActions(client, committing_sessions)
    actions.create()
    actions.login()
    return actions


def test_a_token_is_shown_once_and_stored_only_as_a_hash(
    client: FlaskClient, auth: AuthActions, committing_sessions: sessionmaker[Session]
) -> None:
    response = client.post("/api/v1/tokens", json={"name": "OA 系统"})
    assert response.status_code == 201
    body = response.json
    assert body is not None and body["name"] == "OA 系统" and body["token"].startswith(body["prefix"])
    with committing_sessions() as session:
        stored = session.scalars(select(ApiToken)).one()
        assert stored.token_hash == hashlib.sha256(body["token"].encode()).hexdigest()
        assert body["token"] not in (stored.prefix, stored.name, stored.token_hash)
    listed = client.get("/api/v1/tokens").json
    assert listed is not None and [t["name"] for t in listed["items"]] == ["OA 系统"]
    assert "token" not in listed["items"][0]


def test_a_token_signs_in_api_requests_only_until_revoked(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    token = client.post("/api/v1/tokens", json={"name": "脚本"}).json
    assert token is not None
    other = app.test_client()  # no cookie: only the token
    mine = other.get("/api/v1/tokens", headers=bearer(token["token"]))
    assert mine.status_code == 200 and mine.json is not None and len(mine.json["items"]) == 1
    # not a sign-in for the pages
    assert other.get("/", headers=bearer(token["token"])).status_code == 302
    assert other.delete(f"/api/v1/tokens/{token['id']}", headers=bearer(token["token"])).status_code == 204
    refused = other.get("/api/v1/tokens", headers=bearer(token["token"]))
    assert refused.status_code == 401
    assert refused.json is not None and refused.json["error"] == "unauthorized" and refused.json["message"]
    # a bad token is refused even beside a valid session cookie: the token decides alone
    assert client.get("/api/v1/tokens", headers=bearer("rf_nonsense")).status_code == 401


def test_no_token_and_no_session_is_401_json(client: FlaskClient) -> None:
    response = client.get("/api/v1/tasks")
    assert response.status_code == 401
    assert response.json is not None and response.json["error"] == "unauthorized"


def test_only_the_owner_or_an_admin_sees_and_revokes_a_token(
    app: Flask, client: FlaskClient, auth: AuthActions, committing_sessions: sessionmaker[Session]
) -> None:
    token = client.post("/api/v1/tokens", json={"name": "OA"}).json
    assert token is not None
    stranger = app.test_client()
    strangers = AuthActions(stranger, committing_sessions)
    strangers.create("lisi", "李四")
    strangers.login("lisi")
    assert stranger.delete(f"/api/v1/tokens/{token['id']}").status_code == 404
    assert stranger.get("/api/v1/tokens?person=zhangsan").status_code == 403
    admin = app.test_client()
    admins = AuthActions(admin, committing_sessions)
    admins.create("admin", "管理员", roles=(Role.ADMIN,))
    admins.login("admin")
    listed = admin.get("/api/v1/tokens?person=zhangsan").json
    assert listed is not None and [t["id"] for t in listed["items"]] == [token["id"]]
    assert admin.get("/api/v1/tokens?person=nobody").status_code == 404
    assert admin.delete(f"/api/v1/tokens/{token['id']}").status_code == 204
    assert client.get("/api/v1/tokens").json == {"items": []}


def test_a_nameless_token_is_refused(client: FlaskClient, auth: AuthActions) -> None:
    response = client.post("/api/v1/tokens", json={"name": ""})
    assert response.status_code == 422
    assert response.json is not None and response.json["error"] == "invalid"
    assert client.post("/api/v1/tokens", json={"name": "   "}).status_code == 422
    assert client.get("/api/v1/tokens").json == {"items": []}


def test_a_session_write_needs_the_csrf_header_a_token_write_does_not(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    app = make_test_app(db_engine, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    AuthActions(client, committing_sessions).create()
    client.post("/login", data={"login": "zhangsan", "password": "correct-horse-battery",
                                "csrf_token": csrf.group(1)})
    refused = client.post("/api/v1/tokens", json={"name": "OA"})
    assert refused.status_code == 400 and refused.json is not None and refused.json["error"] == "csrf"
    created = client.post("/api/v1/tokens", json={"name": "OA"}, headers={"X-CSRFToken": csrf.group(1)})
    assert created.status_code == 201 and created.json is not None
    by_token = app.test_client().post("/api/v1/tokens", json={"name": "脚本"}, headers=bearer(created.json["token"]))
    assert by_token.status_code == 201


def test_the_token_page_creates_shows_once_and_revokes(client: FlaskClient, auth: AuthActions) -> None:
    created = client.post("/account/tokens", data={"name": "督查平台"})
    assert created.status_code == 200
    page = created.get_data(as_text=True)
    shown = re.search(r'class="api-token-value">([^<]+)<', page)
    assert shown is not None
    again = client.get("/account/tokens").get_data(as_text=True)
    assert "督查平台" in again and shown.group(1) not in again
    assert client.get("/api/v1/tokens", headers=bearer(shown.group(1))).status_code == 200
    token_id = re.search(r'data-token-id="(\d+)"', again)
    assert token_id is not None
    revoked = client.post(f"/account/tokens/{token_id.group(1)}/revoke")
    assert revoked.status_code == 303
    after = client.get("/account/tokens").get_data(as_text=True)
    assert "令牌“督查平台”已撤销。" in after and "data-token-id" not in after
    assert client.get("/api/v1/tokens", headers=bearer(shown.group(1))).status_code == 401
    assert client.post("/account/tokens", data={"name": ""}).status_code == 422


def test_rate_limit_answers_429_json_with_retry_after(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    app = make_test_app(db_engine, API_RATE_LIMIT="3/minute", API_RATE_LIMIT_ANON="2/minute")
    client = app.test_client()
    actions = AuthActions(client, committing_sessions)
    actions.create()
    actions.login()
    token = client.post("/api/v1/tokens", json={"name": "x"}).json
    assert token is not None
    # the session counts by address: the creation and one more, then refused
    assert [client.get("/api/v1/tokens").status_code for _ in range(2)] == [200, 429]
    other = app.test_client()
    statuses = [other.get("/api/v1/tokens", headers=bearer(token["token"])).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = other.get("/api/v1/tokens", headers=bearer(token["token"]))
    assert refused.json is not None and refused.json["error"] == "rate_limited"
    assert int(refused.headers["Retry-After"]) > 0


def test_an_unreadable_rate_limit_stops_the_start(db_engine: Engine) -> None:
    with pytest.raises(ConfigError, match="API_RATE_LIMIT"):
        make_test_app(db_engine, API_RATE_LIMIT="lots")
