"""Sign-in hardening: the failed-login throttle, sessions that really end, a Server header without versions."""

from __future__ import annotations

import re
import threading
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.serving import WSGIRequestHandler
from werkzeug.test import TestResponse

from engine import FixedClock
from engine.models import AuditEntry
from web.app import create_app
from web.config import ConfigError, load_config
from web.dev_server import RequestHandler
from workflows.login_guard import ThrottlePolicy, sign_in
from workflows.models import Person
from workflows.people import change_password, deactivate_person

from ..conftest import START
from .browser_harness import serve
from .conftest import PASSWORD, AuthActions, make_test_app

WRONG = "not-the-password"
LOCKED_1_MIN = "登录失败次数过多，请 1 分钟后再试。"
FAILED = "用户名或密码错误"


@pytest.fixture
def app(db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock) -> Flask:
    """The test app on the test clock, so a test moves time instead of sleeping through a lock."""
    return make_test_app(db_engine, ENGINE_CLOCK=clock)


def _attempt(client: FlaskClient, login: str, password: str, address: str = "127.0.0.1") -> TestResponse:
    return client.post(
        "/login", data={"login": login, "password": password}, environ_base={"REMOTE_ADDR": address}
    )


def _page(response: TestResponse) -> str:
    assert response.status_code == 200, response.status
    return response.get_data(as_text=True)


def _audit(sessions: sessionmaker[Session], action: str) -> list[AuditEntry]:
    with sessions() as session:
        return list(session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def test_sixty_wrong_passwords_lock_the_account_until_the_back_off_ends(
    client: FlaskClient, auth: AuthActions, clock: FixedClock, committing_sessions: sessionmaker[Session]
) -> None:
    auth.create(login="zhangsan")

    pages = [_page(_attempt(client, "zhangsan", WRONG)) for _ in range(60)]
    assert all(FAILED in page for page in pages[:4])
    assert all(LOCKED_1_MIN in page for page in pages[4:])  # the fifth failure locks the account

    # While locked, even the right password is refused with the same plain message.
    assert LOCKED_1_MIN in _page(_attempt(client, "zhangsan", PASSWORD))
    assert client.get("/").status_code == 302
    clock.advance(seconds=59)
    assert LOCKED_1_MIN in _page(_attempt(client, "zhangsan", PASSWORD))

    clock.advance(seconds=2)  # the one-minute lock is over
    response = _attempt(client, "zhangsan", PASSWORD)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert client.get("/").status_code == 200

    # The audit log holds every failure, the lock and each refused attempt, committed.
    assert len(_audit(committing_sessions, "login_failed")) == 5
    assert len(_audit(committing_sessions, "login_refused")) == 57
    [locked] = _audit(committing_sessions, "login_locked")
    assert locked.actor == "zhangsan"
    assert locked.detail is not None
    assert locked.detail["scope"] == "account" and locked.detail["address"] == "127.0.0.1"
    assert locked.detail["locked_until"].startswith("2026-01-05T01:01:00")


def test_locks_in_a_row_double_and_a_success_starts_again(
    client: FlaskClient, auth: AuthActions, clock: FixedClock
) -> None:
    auth.create(login="zhangsan")
    for _ in range(5):
        _attempt(client, "zhangsan", WRONG)
    clock.advance(seconds=61)
    pages = [_page(_attempt(client, "zhangsan", WRONG)) for _ in range(5)]
    assert "请 2 分钟后再试" in pages[-1]  # the second lock lasts twice as long
    clock.advance(seconds=61)
    assert "请 1 分钟后再试" in _page(_attempt(client, "zhangsan", PASSWORD))  # one minute left
    clock.advance(seconds=60)
    assert _attempt(client, "zhangsan", PASSWORD).status_code == 302

    # The success cleared the account's counter: four failures lock nothing, the fifth locks for 1 min.
    client.post("/logout")
    assert all(FAILED in _page(_attempt(client, "zhangsan", WRONG)) for _ in range(4))
    assert LOCKED_1_MIN in _page(_attempt(client, "zhangsan", WRONG))


def test_the_lock_is_capped(db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock) -> None:
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, LOGIN_MAX_FAILURES_PER_ACCOUNT=1,
                        LOGIN_LOCKOUT_SECONDS=60, LOGIN_LOCKOUT_MAX_SECONDS=300)
    client = app.test_client()
    minutes = []
    for _ in range(5):  # one failure locks; each try comes when the last lock is over
        match = re.search(r"请 (\d+) 分钟后再试", _page(_attempt(client, "nobody", WRONG)))
        assert match
        minutes.append(int(match.group(1)))
        clock.advance(minutes=5)
    assert minutes == [1, 2, 4, 5, 5]


def test_unknown_logins_are_throttled_exactly_like_real_ones(client: FlaskClient, auth: AuthActions) -> None:
    auth.create(login="zhangsan")
    real = [_page(_attempt(client, "zhangsan", WRONG, "10.0.0.1")) for _ in range(6)]
    unknown = [_page(_attempt(client, "nobody", WRONG, "10.0.0.2")) for _ in range(6)]
    for real_page, unknown_page in zip(real, unknown, strict=True):
        assert _without(real_page, "zhangsan") == _without(unknown_page, "nobody")
    assert LOCKED_1_MIN in unknown[-1]


def _without(page: str, login: str) -> str:
    """The page without what differs anyway: the echoed login and the CSRF token."""
    return re.sub(r'name="csrf_token" value="[^"]*"', "", page).replace(f'value="{login}"', "")


def test_many_logins_from_one_address_lock_the_address(
    db_engine: Engine, committing_sessions: sessionmaker[Session], clock: FixedClock
) -> None:
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, LOGIN_MAX_FAILURES_PER_ADDRESS=8)
    client = app.test_client()
    AuthActions(client, committing_sessions).create(login="zhangsan")

    pages = [_page(_attempt(client, f"guess{n}", WRONG, "203.0.113.9")) for n in range(8)]
    assert FAILED in pages[6] and LOCKED_1_MIN in pages[7]  # one failure per login, eight from one address

    # The real person is refused from that address, even with the right password, but not from another.
    assert LOCKED_1_MIN in _page(_attempt(client, "zhangsan", PASSWORD, "203.0.113.9"))
    assert _attempt(client, "zhangsan", PASSWORD, "198.51.100.7").status_code == 302

    [locked] = _audit(committing_sessions, "login_locked")
    assert locked.detail is not None
    assert (locked.actor, locked.detail["scope"], locked.detail["address"]) == ("guess7", "address", "203.0.113.9")


def test_locked_message_in_english(client: FlaskClient) -> None:
    client.get("/login?lang=en")
    pages = [_page(_attempt(client, "nobody", WRONG)) for _ in range(5)]
    assert "Too many failed sign-ins; try again in 1 min." in pages[-1]


@pytest.mark.parametrize("login", ["zhang\x00san", "x" * 5000, "", "\u202e\t<script>"])
def test_odd_login_names_are_plain_failures(client: FlaskClient, committing_sessions: sessionmaker[Session],
                                            login: str) -> None:
    assert FAILED in _page(_attempt(client, login, WRONG))
    [failed] = _audit(committing_sessions, "login_failed")
    assert len(failed.actor) <= 100 and "\x00" not in failed.actor and "\t" not in failed.actor


def test_a_copied_session_cookie_is_refused_after_logout(app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    auth.create()
    auth.login()
    cookie = client.get_cookie("session")
    assert cookie is not None
    copy = app.test_client()
    copy.set_cookie("session", cookie.value)
    assert copy.get("/").status_code == 200  # the copy works while the sign-in lasts

    auth.logout()
    response = copy.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/login"


def test_a_password_change_ends_every_open_session(
    app: Flask, auth: AuthActions, clock: FixedClock, committing_sessions: sessionmaker[Session]
) -> None:
    person_id = auth.create()
    office, home = app.test_client(), app.test_client()
    for client in (office, home):
        assert AuthActions(client, committing_sessions).login().status_code == 302
        assert client.get("/").status_code == 200

    with committing_sessions.begin() as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert change_password(session, person, "a-new-long-password", actor="zhangsan", at=clock()) == 2

    assert office.get("/").status_code == 302 and home.get("/").status_code == 302
    assert FAILED in _page(_attempt(office, "zhangsan", PASSWORD))
    assert _attempt(office, "zhangsan", "a-new-long-password").status_code == 302
    [changed] = _audit(committing_sessions, "password_changed")
    assert changed.detail == {"login": "zhangsan", "sessions_ended": 2}


def test_deactivation_ends_open_sessions(
    client: FlaskClient, auth: AuthActions, clock: FixedClock, committing_sessions: sessionmaker[Session]
) -> None:
    person_id = auth.create()
    auth.login()
    with committing_sessions.begin() as session:
        person = session.get(Person, person_id)
        assert person is not None
        assert deactivate_person(session, person, actor="admin", at=clock()) == 1
    assert client.get("/").status_code == 302


def test_a_session_ends_after_its_maximum_age(client: FlaskClient, auth: AuthActions, clock: FixedClock) -> None:
    auth.create()
    auth.login()
    clock.advance(hours=11, minutes=59)
    assert client.get("/").status_code == 200
    clock.advance(minutes=2)
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"LOGIN_MAX_FAILURES_PER_ACCOUNT": 0}, "LOGIN_MAX_FAILURES_PER_ACCOUNT must be at least 1"),
        ({"LOGIN_LOCKOUT_SECONDS": "soon"}, "LOGIN_LOCKOUT_SECONDS must be a whole number"),
        ({"LOGIN_LOCKOUT_SECONDS": 600, "LOGIN_LOCKOUT_MAX_SECONDS": 60}, "at least LOGIN_LOCKOUT_SECONDS"),
    ],
)
def test_bad_throttle_settings_stop_the_start(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_config(settings)


def test_throttle_settings_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECTIFLOW_LOGIN_MAX_FAILURES_PER_ADDRESS", "50")
    assert load_config()["LOGIN_MAX_FAILURES_PER_ADDRESS"] == 50
    assert load_config()["LOGIN_MAX_FAILURES_PER_ACCOUNT"] == 5  # the documented default


def _server_headers(url: str) -> list[str]:
    with urllib.request.urlopen(f"{url}/login", timeout=10) as response:  # noqa: S310 (a local test server)
        assert response.status == 200
        return response.headers.get_all("Server") or []


def test_the_server_header_names_no_version(tmp_path: Path) -> None:
    app = create_app({"SECRET_KEY": "x", "DATABASE_URL": f"sqlite:///{tmp_path / 'unused.db'}"})
    with serve(app, WSGIRequestHandler) as url:
        assert any("Werkzeug/" in value for value in _server_headers(url))  # what Werkzeug does by itself
    with serve(app, RequestHandler) as url:
        assert _server_headers(url) == ["Rectiflow"]


def test_rectiflow_serve_uses_the_quiet_handler(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """``rectiflow serve`` for real, up to the socket: the server it starts answers without versions."""
    from web.cli import main

    seen: list[list[str]] = []

    def run_simple(hostname: str, port: int, application: Flask, **options: object) -> None:
        handler = options.get("request_handler")
        assert isinstance(handler, type) and issubclass(handler, WSGIRequestHandler)
        with serve(application, handler) as url:
            seen.append(_server_headers(url))

    monkeypatch.setattr("werkzeug.serving.run_simple", run_simple)
    database = tmp_path_factory.mktemp("serve") / "serve.db"
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", f"sqlite:///{database}")
    monkeypatch.setenv("RECTIFLOW_SECRET_KEY", "serve-test-key")
    assert CliRunner().invoke(main, ["init-db"], catch_exceptions=False).exit_code == 0
    result = CliRunner().invoke(main, ["serve", "--no-scheduler", "--port", "0"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert seen == [["Rectiflow"]]


def test_concurrent_workers_share_one_count(db_kind: str, committing_sessions: sessionmaker[Session]) -> None:
    """Ten workers guessing at once: one lock, and every guess counted or refused, none lost."""
    if db_kind == "sqlite":
        pytest.skip("SQLite takes one writer at a time; concurrent web workers need PostgreSQL")
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def guess() -> None:
        try:
            barrier.wait(timeout=10)
            with committing_sessions.begin() as session:
                sign_in(session, "zhangsan", WRONG, address="10.0.0.1", at=START, policy=ThrottlePolicy(),
                        session_max_age=timedelta(hours=1))
        except BaseException as exc:  # noqa: BLE001 (reported below)
            errors.append(exc)

    threads = [threading.Thread(target=guess) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    failed, refused = _audit(committing_sessions, "login_failed"), _audit(committing_sessions, "login_refused")
    assert len(failed) + len(refused) == 10 and len(failed) >= 5
    assert [entry.detail["scope"] for entry in _audit(committing_sessions, "login_locked") if entry.detail] == [
        "account"
    ]
