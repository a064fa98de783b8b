"""Driving a real Chromium against the app: a served app on a test clock, a browser, screenshots.

The app runs in a thread on 127.0.0.1 with its own SQLite file, the bundled diagram
deployed and the demo plan launched. Its workflow engine runs on a ``FixedClock``
(the test-only ``ENGINE_CLOCK``), so a test moves time by moving that object and
fires due timers with ``web.scheduler.run_tick`` — no sleeping.

Screenshots are full-page PNGs under ``test-artifacts/screenshots/`` at the
repository root (gitignored); a failing step leaves one of the page it failed on.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session
from werkzeug.serving import WSGIRequestHandler, make_server

from engine import FixedClock
from engine.db import Base, make_engine
from web.app import create_app
from web.scheduler import run_tick
from web.services import Services, services
from workflows.demo import DEMO_PASSWORD, create_demo_plan
from workflows.schema import deploy_bundled

if TYPE_CHECKING:
    from playwright.sync_api import Browser, FilePayload, Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# 09:00 on a Monday in Shanghai: the demo's deadlines fall on whole days after it.
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
BROWSER_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-dev-shm-usage"]


def require_chromium() -> None:
    """Skip (or fail, when ``RECTIFLOW_REQUIRE_BROWSER=1``) without Debian's Chromium."""
    if CHROMIUM.exists():
        return
    message = f"{CHROMIUM} not found: install Chromium (apt-get install chromium) to run the browser tests"
    if os.environ.get("RECTIFLOW_REQUIRE_BROWSER") == "1":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@dataclass
class LiveApp:
    """The served app, its services and the clock the test moves."""

    url: str
    app: Flask
    found: Services
    clock: FixedClock

    def tick(self) -> list[int]:
        """Fire the timers due at the clock's time, as the scheduler would; returns the instances advanced."""
        return run_tick(self.found)

    def advance(self, **delta: float) -> datetime:
        """Move the clock forward (``days=…``), fire what fell due, and return the new time."""
        now = self.clock.advance(**delta)
        self.tick()
        return now

    @contextlib.contextmanager
    def session(self) -> Iterator[Session]:
        """A committed unit of work on the app's database, for setting up or reading back."""
        with self.found.unit_of_work() as session:
            yield session


@contextlib.contextmanager
def serve_demo(tmp_path: Path, **config: Any) -> Iterator[LiveApp]:
    """The app on its own SQLite database with the demo plan launched, served on a free local port."""
    require_chromium()
    clock = FixedClock(START)
    db_engine = make_engine(f"sqlite:///{tmp_path / 'browser.db'}")
    Base.metadata.create_all(db_engine)
    settings: dict[str, Any] = {
        "SECRET_KEY": "browser-test-key",
        "DB_ENGINE": db_engine,
        "ENGINE_CLOCK": clock,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
    }
    settings.update(config)
    app = create_app(settings)
    found = services(app)
    with found.unit_of_work() as session:
        deploy_bundled(session, found.workflow_engine, actor="admin")
        create_demo_plan(session, found.workflow_engine, today=clock().date(), at=clock())
    try:
        with serve(app) as url:
            yield LiveApp(url, app, found, clock)
    finally:
        db_engine.dispose()


@contextlib.contextmanager
def serve(app: Flask, request_handler: type[WSGIRequestHandler] | None = None) -> Iterator[str]:
    """Serve ``app`` on a free port of 127.0.0.1 in a thread; yields its base URL and stops it afterwards."""
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=request_handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@contextlib.contextmanager
def chromium() -> Iterator[Browser]:
    """Debian's headless Chromium through Playwright; closed afterwards."""
    from playwright.sync_api import sync_playwright

    require_chromium()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=BROWSER_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def new_page(browser: Browser, *, phone: bool = False) -> Page:
    """A page in a fresh context (own cookies) with a Chinese browser, desktop- or phone-sized."""
    context = browser.new_context(
        locale="zh-CN", timezone_id="Asia/Shanghai", viewport=PHONE if phone else DESKTOP,
        is_mobile=phone, has_touch=phone, device_scale_factor=2 if phone else 1,
    )
    context.set_default_timeout(10_000)
    return context.new_page()


def sign_in(page: Page, live: LiveApp, login: str, password: str = DEMO_PASSWORD) -> None:
    """Sign in through the login form and land on the inbox."""
    from playwright.sync_api import expect

    page.goto(f"{live.url}/login")
    page.get_by_label("用户名").fill(login)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(f"{live.url}/")


def sign_out(page: Page) -> None:
    """Sign out with the header's button."""
    page.get_by_role("button", name="退出登录").click()


def screenshot(page: Page, name: str) -> Path:
    """Save a full-page PNG as ``test-artifacts/screenshots/<name>.png`` and return its path."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextlib.contextmanager
def step(page: Page, name: str) -> Iterator[None]:
    """A named step of a walk: if it fails, the page is saved and the message says where."""
    (SCREENSHOTS / f"FAILED-{name}.png").unlink(missing_ok=True)  # from an earlier run
    try:
        yield
    except Exception as exc:
        try:
            path = screenshot(page, f"FAILED-{name}")
            note = f"step {name!r} failed at {page.url}; screenshot: {path}"
        except Exception:  # the page itself may be gone
            note = f"step {name!r} failed; no screenshot could be taken"
        raise AssertionError(f"{note}\n{exc}") from exc


def pdf_file(name: str) -> FilePayload:
    """A small PDF under ``name``, as a file input is given it (``set_input_files``)."""
    return {"name": name, "mimeType": "application/pdf", "buffer": minimal_pdf()}


def minimal_pdf() -> bytes:
    """A small, well-formed one-page PDF (what an officer scans and uploads as evidence)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
    ]
    stream = b"BT /F1 12 Tf 72 770 Td (Rectiflow evidence) Tj ET"
    objects.append(b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream))
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)
