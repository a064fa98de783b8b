"""A real Chromium signs in (CSRF on), lands on the inbox, switches to English and signs out."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.db import Base
from web.app import create_app
from web.services import services
from workflows.models import Role
from workflows.people import create_person, create_unit

from . import browser_harness
from .browser_harness import chromium, require_chromium, serve

PASSWORD = "correct-horse-battery"

pytestmark = pytest.mark.browser


@pytest.fixture
def live_url(tmp_path: Path) -> Iterator[str]:
    """The app with its own SQLite database, served on a free local port in a thread."""
    require_chromium()
    app = create_app(
        {
            "SECRET_KEY": "browser-test-key",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'browser.db'}",
            "UPLOAD_DIR": str(tmp_path / "uploads"),
        }
    )
    found = services(app)
    Base.metadata.create_all(found.db_engine)
    with found.session_factory.begin() as session:
        unit = create_unit(session, "U01", "市财政局")
        create_person(
            session, login="wangwu", name="王五", password=PASSWORD, roles=[Role.OFFICER], unit=unit
        )
    try:
        with serve(app) as url:
            yield url
    finally:
        found.db_engine.dispose()


def test_sign_in_switch_language_and_sign_out(live_url: str) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        # A browser set to Chinese, as most users' are.
        page = browser.new_context(locale="zh-CN").new_page()

        page.goto(f"{live_url}/")
        expect(page).to_have_url(f"{live_url}/login")
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")

        page.get_by_label("用户名").fill("wangwu")
        page.get_by_label("密码").fill("wrong-password")
        page.get_by_role("button", name="登录").click()
        expect(page.get_by_role("alert")).to_have_text("用户名或密码错误")

        page.get_by_label("密码").fill(PASSWORD)
        page.get_by_role("button", name="登录").click()
        expect(page).to_have_url(f"{live_url}/")
        # An officer lands on the inbox: nothing held yet, the badge says so.
        expect(page.get_by_role("heading", level=1)).to_have_text("待办任务")
        expect(page.locator(".who-name")).to_have_text("王五")
        expect(page.locator(".who-unit")).to_have_text("市财政局")
        expect(page.locator(".nav-badge")).to_have_text("0")

        page.get_by_role("link", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_role("heading", level=1)).to_have_text("Inbox")

        page.get_by_role("button", name="Sign out").click()
        expect(page).to_have_url(f"{live_url}/login")
        expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")

        page.goto(f"{live_url}/")
        expect(page).to_have_url(f"{live_url}/login")  # really signed out


def test_missing_chromium_skips_unless_required(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(browser_harness, "CHROMIUM", tmp_path / "no-chromium")
    monkeypatch.delenv("RECTIFLOW_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no-chromium not found"):
        require_chromium()
    monkeypatch.setenv("RECTIFLOW_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="no-chromium not found"):
        require_chromium()
