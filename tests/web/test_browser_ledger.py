"""A real Chromium reads the ledger: supervision (赵督查) on the demo plan, a week after the first
deadline, opens 台账, filters by a status (逾期) and by a colour (红色预警) with the form, and reads
the page on a phone, where the table scrolls sideways inside its own box.
Screenshots: ``ledger-desktop`` and ``ledger-phone`` (390 px) under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        served.tick()
        served.clock.advance(days=40)  # past the demo's first deadlines: overdue and red rows
        served.tick()
        yield served


def test_supervision_filters_the_ledger_by_status_and_colour_on_desktop_and_phone(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        sign_in(page, live, "ducha")
        with step(page, "ledger-open"):
            page.get_by_role("link", name="台账").first.click()
            expect(page.get_by_role("heading", name="整改台账")).to_be_visible()
            every = page.locator("tbody.ledger-problem").count()
            assert every > 0
        with step(page, "ledger-status"):
            page.get_by_label("状态").select_option("overdue")
            page.get_by_role("button", name="筛选").click()
            expect(page).to_have_url(re.compile(r"status=overdue"))
            rows = page.locator("tbody.ledger-problem")
            assert 0 < rows.count() < every
            for i in range(rows.count()):
                problem_overdue = rows.nth(i).get_attribute("data-status") == "overdue"
                assert problem_overdue or rows.nth(i).locator(".status-overdue").count() > 0
        with step(page, "ledger-colour"):
            page.get_by_label("状态").select_option("")
            page.get_by_label("预警").select_option("red")
            page.get_by_role("button", name="筛选").click()
            rows = page.locator("tbody.ledger-problem")
            assert rows.count() > 0
            assert {rows.nth(i).get_attribute("data-colour") for i in range(rows.count())} == {"red"}
            expect(page.locator('a[data-format="xlsx"]')).to_have_attribute("href", re.compile(r"colour=red"))
            screenshot(page, "ledger-desktop")
        phone = new_page(browser, phone=True)
        sign_in(phone, live, "ducha")
        with step(phone, "ledger-phone"):
            phone.goto(f"{live.url}/ledger")
            box = phone.locator(".ledger-scroll")
            expect(box).to_be_visible()
            widths = box.evaluate("el => [el.scrollWidth, el.clientWidth, document.documentElement.scrollWidth]")
            assert widths[0] > widths[1]  # the table scrolls inside its box ...
            assert widths[2] <= 400  # ... and the page itself does not
            screenshot(phone, "ledger-phone")
        # the browser's own favicon.ico request is a 404 on every page of the app; scripts must not fail
        assert not [e for e in errors if not e.startswith("Failed to load resource")], errors
