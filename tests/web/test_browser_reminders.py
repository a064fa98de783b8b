"""A real Chromium reads reminders: 吴芳 (officer of 机关党总支, the demo plan) sees the header's unread count,
opens 督办提醒 (overdue, still overdue, deadline near, flagged; mailed through a real SMTP server),
marks one read, follows one to its task, and reads the page on a phone and in English.

The scheduler's job runs on the test clock: on the first day 1.1.1 is already overdue; a week later it
is still overdue (the repeat), 1.1.2 has come within ten days, and 赵督查 has flagged 1.2.
Screenshots: ``reminders`` (desktop) and ``reminders-phone`` (390 px) under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from web.reminder_jobs import ReminderRun, run_reminder_jobs
from workflows.deadlines import china_date
from workflows.models import Person, Problem, ProblemFlag, Reminder

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step
from .smtp_server import Mailbox, smtp_server

pytestmark = pytest.mark.browser

OFFICER = "dzz"  # 吴芳, 机关党总支
ADDRESS = "wufang@example.cn"


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    with smtp_server() as box:
        yield box


@pytest.fixture
def live(tmp_path: Path, mailbox: Mailbox) -> Iterator[LiveApp]:
    with serve_demo(tmp_path, **mailbox.settings()) as served:
        yield served


def run_job(live: LiveApp) -> ReminderRun:
    """What the scheduler does each tick, at the clock's time: timers, then reminders."""
    live.tick()
    return run_reminder_jobs(live.found, live.clock())


def arrange(live: LiveApp) -> None:
    """吴芳 gets an address; a week of reminders; 1.2 flagged by 赵督查 with a tighter deadline."""
    with live.session() as session:
        session.scalars(select(Person).where(Person.login == OFFICER)).one().email = ADDRESS
    run_job(live)
    live.clock.advance(days=7)
    with live.session() as session:
        problem = session.scalars(select(Problem).where(Problem.title == "党性教育开展不扎实")).one()
        session.add(ProblemFlag(problem_id=problem.id, reason="群众反映强烈，市委巡察办挂牌督办",
                                deadline=china_date(live.clock()) + timedelta(days=10), flagged_by="ducha",
                                flagged_at=live.clock()))
    run_job(live)


def test_an_officer_reads_marks_and_follows_reminders(live: LiveApp, mailbox: Mailbox) -> None:
    from playwright.sync_api import expect

    arrange(live)
    with live.session() as session:
        mine = list(session.scalars(select(Reminder).where(Reminder.recipient == OFFICER)))
    unread = len(mine)
    assert unread >= 4 and len(mailbox.to(ADDRESS)) == unread  # each mailed once
    with chromium() as browser:
        page = new_page(browser)
        with step(page, "reminders-badge"):
            sign_in(page, live, OFFICER)
            expect(page.locator(".reminder-badge")).to_have_text(str(unread))
            page.get_by_role("link", name=f"提醒 {unread}").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("督办提醒")
            expect(page.locator(".reminders-summary")).to_have_text(f"未读 {unread} 条，共 {unread} 条")
        with step(page, "reminders-list"):
            items = page.locator("li.reminder")
            expect(items).to_have_count(unread)
            expect(page.locator("li.reminder-unread")).to_have_count(unread)
            for tag in ("逾期督办", "逾期再次督办", "临期预警", "挂牌督办"):
                expect(page.locator(".reminder-tag", has_text=tag).first).to_be_visible()
            expect(page.locator(".reminder-mail", has_text="邮件已发送").first).to_be_visible()
            flagged = items.filter(has_text="【挂牌督办】1.2 党性教育开展不扎实")
            flagged.get_by_text("详情").click()
            expect(flagged.locator(".reminder-text")).to_contain_text("群众反映强烈，市委巡察办挂牌督办")
            screenshot(page, "reminders")
        with step(page, "reminders-mark-one"):
            overdue = items.filter(has_text="【逾期督办】1.1.1").first
            overdue.get_by_role("button", name="标为已读").click()
            expect(page.locator(".reminder-badge")).to_have_text(str(unread - 1))
            expect(page.locator("li.reminder-unread")).to_have_count(unread - 1)
            expect(items.filter(has_text="【逾期督办】1.1.1").first).to_contain_text("已读于")
        with step(page, "reminders-follow"):
            items.filter(has_text="【临期预警】1.1.2").get_by_role("link", name="去办理").click()
            expect(page).to_have_url(re.compile(r"/tasks/\d+$"))
            expect(page.locator("body")).to_contain_text("理论学习不够深入")
        phone = new_page(browser, phone=True)
        with step(phone, "reminders-phone"):
            sign_in(phone, live, OFFICER)
            phone.goto(f"{live.url}/reminders")
            expect(phone.locator("li.reminder")).to_have_count(unread)
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is wider than the phone: {width}px"
            screenshot(phone, "reminders-phone")
        with step(phone, "reminders-english"):
            phone.goto(f"{live.url}/reminders?lang=en")
            expect(phone.get_by_role("heading", level=1)).to_have_text("Reminders")
            expect(phone.locator(".reminders-summary")).to_have_text(f"{unread - 1} unread of {unread}")
            phone.get_by_role("button", name="Mark all as read").click()
            expect(phone.locator(".reminder-badge")).to_have_text("0")
            expect(phone.locator("li.reminder-unread")).to_have_count(0)
