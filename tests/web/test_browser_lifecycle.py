"""A real Chromium walks one problem of the demo plan through its whole life, as its users would.

吴芳 (officer of 机关党总支) claims and reports both measures of "党内政治生活不严肃" with a
scanned PDF; 李书记 returns one with a reason; she reads the reason and reports again; he
approves both; 赵督查 verifies and closes the problem (已销号); six months later the look-back
(回头看) appears for supervision, who confirms it consolidated (已巩固). A second walk watches a
deadline come near and pass: the inbox row turns yellow, then red.

Screenshots (inbox, task page with its history, phone-sized inbox) are saved under
``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from workflows.models import Measure, Problem, ProblemStatus
from workflows.status import derive

from .browser_harness import (
    SCREENSHOTS,
    LiveApp,
    chromium,
    new_page,
    pdf_file,
    screenshot,
    serve_demo,
    sign_in,
    step,
)

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

pytestmark = pytest.mark.browser

PROBLEM = "党内政治生活不严肃"  # two measures, due weeks from now
MEASURES = ("制定机关总支部组织生活制度", "对抽调半年以上的党员及时转入组织关系")
OFFICER, LEADER, SUPERVISION = "dzz", "shuji", "ducha"  # 吴芳, 李书记, 赵督查
RETURN_REASON = "佐证材料缺少会议签到表，请补充后重新报送"
EVIDENCE = "组织生活制度（印发稿）.pdf"
CHINA = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def _inbox(page: Page, live: LiveApp, tab: str) -> None:
    """The inbox tab, narrowed to the problem with the search box, as a user would."""
    from playwright.sync_api import expect

    page.goto(f"{live.url}/?tab={tab}")
    page.get_by_label("搜索").fill(PROBLEM)
    page.get_by_role("button", name="筛选", exact=True).click()
    expect(page.get_by_label("搜索")).to_have_value(PROBLEM)


def _row(page: Page, text: str) -> Locator:
    return page.locator("tr.task-row", has_text=text)


def _claim_and_open(page: Page, live: LiveApp, text: str) -> None:
    """Claim the row showing ``text`` under 可领取, then open it from 我的待办."""
    from playwright.sync_api import expect

    _inbox(page, live, "claimable")
    _row(page, text).get_by_role("button", name="领取").click()
    expect(page.get_by_role("status")).to_contain_text("已领取")
    _inbox(page, live, "mine")
    _row(page, text).get_by_role("link", name="办理").click()
    expect(page.get_by_role("heading", level=1)).to_be_visible()


def _submit(page: Page) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name="提交", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("已提交")


def _report(page: Page, live: LiveApp, measure: str, progress: str, *, evidence: bool) -> None:
    _claim_and_open(page, live, measure)
    page.get_by_label("整改进展").fill(progress)
    if evidence:
        page.get_by_label("佐证材料").set_input_files(files=[pdf_file(EVIDENCE)])
    _submit(page)


def _decide(page: Page, live: LiveApp, text: str, choice: str, reason: str | None = None) -> None:
    _claim_and_open(page, live, text)
    page.get_by_label(choice, exact=True).check()
    if reason is not None:
        page.get_by_label("退回理由").fill(reason)
    _submit(page)


def _days_to_deadline(live: LiveApp, measure: str) -> int:
    """Whole days from the clock's (Chinese) date to the measure's deadline."""
    with live.session() as session:
        deadline = session.scalars(select(Measure.deadline).where(Measure.text == measure)).one()
    assert deadline is not None
    return (deadline - live.clock().astimezone(CHINA).date()).days


def _status(live: LiveApp) -> ProblemStatus:
    with live.session() as session:
        problem = session.scalars(select(Problem).where(Problem.title == PROBLEM)).one()
        return derive(session, [problem])[problem.id].status


def test_one_problem_from_report_to_consolidated(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        officer, leader, supervision = (new_page(browser) for _ in range(3))

        with step(officer, "officer-reports-both-measures"):
            sign_in(officer, live, OFFICER)
            _inbox(officer, live, "claimable")
            expect(_row(officer, MEASURES[0])).to_have_count(1)
            _report(officer, live, MEASURES[0], "已制定《机关总支部组织生活制度》并印发执行", evidence=True)
            _report(officer, live, MEASURES[1], "已完成3名抽调党员组织关系转接", evidence=False)
            officer.goto(f"{live.url}/?tab=mine")  # both reported: nothing left in 我的待办
            screenshot(officer, "inbox-officer-empty")

        with step(officer, "phone-sized-inbox"):
            phone = new_page(browser, phone=True)
            sign_in(phone, live, OFFICER)
            phone.goto(f"{live.url}/?tab=claimable")
            expect(phone.locator("tr.task-row").first).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the phone-sized inbox scrolls sideways ({width}px wide)"
            screenshot(phone, "inbox-phone")
            phone.locator("tr.task-row").first.get_by_role("link").first.click()
            expect(phone.get_by_role("heading", level=1)).to_be_visible()
            screenshot(phone, "task-page-phone")

        with step(leader, "leader-returns-measure-1"):
            live.advance(hours=2)
            sign_in(leader, live, LEADER)
            _claim_and_open(leader, live, MEASURES[0])
            history = leader.locator(".history")
            expect(history).to_contain_text("已制定《机关总支部组织生活制度》并印发执行")
            with leader.expect_download() as download:
                history.get_by_role("link", name=EVIDENCE).click()
            assert download.value.suggested_filename == EVIDENCE
            screenshot(leader, "task-page-leader-review")
            leader.get_by_label("退回", exact=True).check()
            leader.get_by_label("退回理由").fill(RETURN_REASON)
            _submit(leader)

        with step(officer, "officer-reads-the-reason-and-resubmits"):
            live.advance(hours=2)
            _claim_and_open(officer, live, MEASURES[0])
            expect(officer.locator(".history")).to_contain_text(RETURN_REASON)
            screenshot(officer, "task-page-with-history")
            officer.get_by_label("整改进展").fill("已补充会议签到表")
            officer.get_by_label("佐证材料").set_input_files(files=[pdf_file("签到表.pdf")])
            _submit(officer)

        with step(leader, "leader-approves-both"):
            live.advance(hours=1)
            for measure in MEASURES:
                _decide(leader, live, measure, "同意")
            assert _status(live) is ProblemStatus.AWAITING_VERIFICATION

        with step(supervision, "supervision-verifies-and-closes"):
            live.advance(hours=2)
            sign_in(supervision, live, SUPERVISION)
            supervision.goto(f"{live.url}/?tab=claimable")
            screenshot(supervision, "inbox-supervision")
            _decide(supervision, live, "逐项核实", "核实通过，予以销号")
            assert _status(live) is ProblemStatus.CLOSED, "after verification the problem is 已销号"
            _inbox(supervision, live, "claimable")
            expect(_row(supervision, "回头看")).to_have_count(0)

        with step(supervision, "six-months-later-look-back"):
            live.advance(days=184)  # the look-back delay is six months
            sign_in(supervision, live, SUPERVISION)  # a sign-in lasts hours, not months
            _inbox(supervision, live, "claimable")
            screenshot(supervision, "inbox-supervision-lookback")
            _decide(supervision, live, "回头看", "已巩固")
            assert _status(live) is ProblemStatus.CONSOLIDATED
            _inbox(supervision, live, "done")
            _row(supervision, "回头看").get_by_role("link", name="查看").click()
            history = supervision.locator(".history")
            for shown in ("已巩固", "核实通过，予以销号", RETURN_REASON, EVIDENCE, "签到表.pdf"):
                expect(history).to_contain_text(shown)
            screenshot(supervision, "task-page-full-history")
    print(f"screenshots: {SCREENSHOTS}")


def test_a_deadline_comes_near_and_passes_and_the_row_turns_red(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = new_page(browser)
        row_class = re.compile(r"\brow-(green|yellow|red|blue)\b")

        def colour() -> str:
            found = row_class.search(_row(page, MEASURES[0]).get_attribute("class") or "")
            return found.group(1) if found else "none"

        days = _days_to_deadline(live, MEASURES[0])
        assert days > 10, "the walk starts outside the ten-day warning window"

        with step(page, "deadline-green"):
            sign_in(page, live, OFFICER)
            _inbox(page, live, "claimable")
            assert colour() == "green", f"{days} days before the deadline the row is green"
            expect(_row(page, MEASURES[0])).to_contain_text(f"剩 {days} 天")

        with step(page, "deadline-yellow"):
            live.advance(days=days - 9)
            sign_in(page, live, OFFICER)  # a sign-in lasts hours, not days
            _inbox(page, live, "claimable")
            assert colour() == "yellow", "inside the ten-day warning window the row is yellow"
            expect(_row(page, MEASURES[0])).to_contain_text("剩 9 天")
            page.goto(f"{live.url}/?tab=claimable")  # every colour at once: the README's picture
            screenshot(page, "inbox")

        with step(page, "deadline-red"):
            live.advance(days=10)  # a day past the deadline; the overdue timer fires
            sign_in(page, live, OFFICER)
            _inbox(page, live, "claimable")
            assert colour() == "red", "after the deadline the row is red"
            expect(_row(page, MEASURES[0])).to_contain_text("逾期 1 天")
            assert _row(page, MEASURES[1]).get_attribute("class") is not None
            assert "row-red" not in (_row(page, MEASURES[1]).get_attribute("class") or "")
            page.get_by_label("只看逾期").check()
            page.get_by_role("button", name="筛选", exact=True).click()
            expect(page.locator("tr.task-row")).to_have_count(1)
            expect(_row(page, MEASURES[0])).to_be_visible()
            screenshot(page, "inbox-overdue")
            _row(page, MEASURES[0]).get_by_role("link").first.click()
            expect(page.locator(".history")).to_contain_text("整改措施已逾期")
