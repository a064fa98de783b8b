"""A real Chromium opens a problem's page: bpmn-js draws the lifecycle diagram the instance runs, with
the done steps, the current steps (an overlay saying 当前) and the waiting deadline timers marked, and
nothing is refused by the Content-Security-Policy or logged as an error.

The demo plan: 吴芳 (officer of 机关党总支) has submitted 1.1's first measure, so its submission is done,
its approval is the leader's current step, and the other measure's submission is still current.
Screenshots: ``problem-diagram-desktop`` and ``problem-diagram-phone`` under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from engine import HumanTask, TaskStatus
from web.evidence.uploads import evidence_store
from workflows.evidence_store import Upload
from workflows.models import Problem
from workflows.people import actor_by_login
from workflows.tasks import Submission, submit

from .browser_harness import LiveApp, chromium, minimal_pdf, new_page, screenshot, serve_demo, sign_in, step

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

OFFICER = "dzz"  # 吴芳, 机关党总支: the unit of 1.1 理论学习不够深入
TITLE = "理论学习不够深入"
PROGRESS = "已组织第一次中心组集中学习"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def submit_first_measure(live: LiveApp) -> int:
    """吴芳 claims and submits 1.1.1 with a PDF, as the task page does; returns the problem's id."""
    engine = live.found.workflow_engine
    with live.app.app_context(), live.session() as session:
        problem = session.scalars(select(Problem).where(Problem.title == TITLE)).one()
        task = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == problem.instance_id, HumanTask.status == TaskStatus.OPEN,
            HumanTask.bpmn_id == "Task_submit_progress").order_by(HumanTask.id)).first()
        assert task is not None
        officer = actor_by_login(session, OFFICER)
        engine.claim(session, task.id, officer)
        upload = Upload(filename="学习记录.pdf", stream=io.BytesIO(minimal_pdf()), content_type="application/pdf")
        submit(session, engine, task.id, officer, Submission({"progress": PROGRESS}, [upload]),
               store=evidence_store(), now=engine.clock())
        return problem.id


def watch_console(page: Page) -> list[str]:
    """Every console error and uncaught exception of the page (a CSP refusal is a console error), but
    the browser's own request for a /favicon.ico the app does not have."""
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            errors.append(f"{message.text} ({message.location.get('url')})")

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def test_supervision_sees_the_instance_position_on_the_diagram(live: LiveApp) -> None:
    from playwright.sync_api import expect

    problem_id = submit_first_measure(live)
    with chromium() as browser:
        page = new_page(browser)
        errors = watch_console(page)
        with step(page, "problem-diagram"):
            sign_in(page, live, "ducha")
            page.goto(f"{live.url}/problems/{problem_id}")
            expect(page.get_by_role("heading", level=1)).to_contain_text(TITLE)
            measures = page.locator(".problem-measures")
            expect(measures).to_contain_text(PROGRESS)
            evidence = measures.get_by_role("link", name="学习记录.pdf")
            expect(evidence).to_have_attribute("href", re.compile(r"^/evidence/\d+$"))
            expect(page.locator("#problem-diagram.diagram-drawn")).to_be_visible()
            # Markers on the drawn elements, and overlays on the current steps and timers.
            expect(page.locator("g.djs-element.rf-current[data-element-id='Task_approve_measure']")).to_have_count(1)
            expect(page.locator("g.rf-current[data-element-id='Task_submit_progress']")).to_have_count(1)
            expect(page.locator("g.rf-done[data-element-id='StartEvent_problem']")).to_have_count(1)
            expect(page.locator("g.rf-waiting[data-element-id='Timer_measure_deadline']")).to_have_count(1)
            expect(page.locator(".djs-overlay .rf-overlay-current")).to_have_count(2)
            expect(page.locator(".djs-overlay .rf-overlay-current").first).to_be_visible()
            expect(page.locator(".djs-overlay .rf-overlay-current", has_text="当前").first).to_be_visible()
            expect(page.locator(".djs-overlay .rf-overlay-timer").first).to_contain_text("到期")
            # The list of steps stays, folded, as the diagram's text alternative.
            expect(page.locator("#diagram-steps")).not_to_have_attribute("open", "")
            page.locator("#problem-diagram").scroll_into_view_if_needed()
            screenshot(page, "problem-diagram-desktop")
        assert errors == [], errors

        phone = new_page(browser, phone=True)
        phone_errors = watch_console(phone)
        with step(phone, "problem-diagram-phone"):
            sign_in(phone, live, "ducha")
            phone.goto(f"{live.url}/problems/{problem_id}")
            expect(phone.locator(".djs-overlay .rf-overlay-current").first).to_be_visible()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is wider than the phone: {width}px"
            screenshot(phone, "problem-diagram-phone")
        assert phone_errors == [], phone_errors


def test_without_javascript_the_steps_are_listed(live: LiveApp) -> None:
    from playwright.sync_api import expect

    problem_id = submit_first_measure(live)
    with chromium() as browser:
        context = browser.new_context(java_script_enabled=False, locale="zh-CN")
        page = context.new_page()
        with step(page, "problem-no-js"):
            sign_in(page, live, "ducha")
            page.goto(f"{live.url}/problems/{problem_id}")
            expect(page.locator("#problem-diagram")).to_be_hidden()
            steps = page.locator("#diagram-steps")
            expect(steps).to_be_visible()
            expect(steps.locator("li.step-current[data-element-id='Task_approve_measure']")).to_contain_text("当前")
            expect(steps.locator("li.step-waiting[data-element-id='Timer_measure_deadline']")).to_contain_text("到期")
            expect(steps.locator("li.step-done").first).to_be_visible()
