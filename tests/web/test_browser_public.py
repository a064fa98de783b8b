"""A real Chromium walks publishing and public feedback on the demo: 赵督查 (supervision) publishes the
round's progress report; a signed-out visitor reads it at /public (desktop and phone) and sends an
opinion with script tags in every field; 赵督查 finds the triage task in the inbox, opens it from the
publishing page, claims it and replies. Nothing typed is ever executed (a dialog would fail the test).

Screenshots: ``publish-manage``, ``public-desktop``, ``public-phone``, ``feedback-triage`` under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from workflows.models import FeedbackStatus, PublicFeedback

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser

SUPERVISOR = "ducha"  # 赵督查
SCRIPT = "<script>alert('x')</script>"
OPINION = "建议在公布页附上整改台账的下载链接，便于群众监督。"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def test_supervision_publishes_the_public_reads_and_writes_and_supervision_replies(live: LiveApp) -> None:
    from playwright.sync_api import Dialog, expect

    dialogs: list[str] = []
    console_errors: list[str] = []

    def on_dialog(dialog: Dialog) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    with chromium() as browser:
        office = new_page(browser)
        office.on("dialog", on_dialog)
        with step(office, "publish"):
            sign_in(office, live, SUPERVISOR)
            office.get_by_role("link", name="公布").click()
            expect(office.get_by_role("heading", level=1)).to_have_text("整改进展公布")
            expect(office.locator(".publish-round").first).to_contain_text("尚未公布")
            office.get_by_role("button", name="公布最新进展").first.click()
            expect(office.locator(".alert-success")).to_contain_text("第 1 版")
            expect(office.locator(".publish-versions li").first).to_contain_text("第 1 版")
            screenshot(office, "publish-manage")

        visitor = new_page(browser)
        visitor.on("dialog", on_dialog)
        visitor.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)
        with step(visitor, "public-read"):
            visitor.goto(f"{live.url}/public")
            expect(visitor.locator(".public-head h1")).to_have_text("巡察整改进展情况公布")
            expect(visitor.locator(".publication .report h1")).to_contain_text("关于巡察整改进展情况的通报")
            expect(visitor.locator(".publication-meta").first).to_contain_text("第 1 版")
            expect(visitor.locator(".main-nav")).to_have_count(0)  # nobody is signed in
            screenshot(visitor, "public-desktop")
        with step(visitor, "public-feedback"):
            visitor.get_by_label("姓名（选填）").fill(SCRIPT)
            visitor.get_by_label("联系方式（选填）").fill(SCRIPT)
            visitor.get_by_label("意见建议内容").fill(SCRIPT + OPINION)
            box = visitor.locator("#feedback-website").bounding_box()
            assert box is not None and box["x"] + box["width"] < 0  # the honeypot is off the screen
            visitor.get_by_role("button", name="提交").click()
            expect(visitor.locator(".alert-success")).to_have_text("感谢您的意见建议，我们已收到，将认真研究处理。")
            expect(visitor).to_have_url(re.compile(r"/public\?sent=1#feedback$"))
        with live.session() as session:
            feedback = session.scalars(select(PublicFeedback)).one()
            assert feedback.text == SCRIPT + OPINION and feedback.name == SCRIPT

        phone = new_page(browser, phone=True)
        with step(phone, "public-phone"):
            phone.goto(f"{live.url}/public")
            expect(phone.locator(".publication .report")).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the public page scrolls sideways on a phone ({width}px)"
            screenshot(phone, "public-phone")

        with step(office, "triage"):
            office.goto(f"{live.url}/?tab=claimable")
            row = office.locator("tr", has=office.get_by_role("cell", name="意见建议处理"))
            expect(row).to_be_visible()  # waiting in the inbox; its task page is the triage page
            row.locator("a[href*='/tasks/']").first.click()
            expect(office).to_have_url(re.compile(r"/publish/feedback/\d+$"))
            expect(office.locator(".feedback-full")).to_have_text(SCRIPT + OPINION)  # shown as text
            office.get_by_role("button", name="认领").click()
            office.get_by_label("答复", exact=True).check()
            office.get_by_label("答复内容").fill("感谢监督，下载链接已加入公布页。")
            office.get_by_role("button", name="提交处理结果").click()
            expect(office.locator(".alert-success")).to_have_text("已处理：已答复。")
            expect(office.locator(".triage-action")).to_contain_text("感谢监督，下载链接已加入公布页。")
            screenshot(office, "feedback-triage")

    with live.session() as session:
        assert session.scalars(select(PublicFeedback.status)).one() == FeedbackStatus.REPLIED
    assert dialogs == [], f"typed script ran: {dialogs}"
    assert console_errors == [], console_errors
