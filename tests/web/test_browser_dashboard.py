"""A real Chromium reads the dashboard: 赵督查 (supervision) opens 统计 on the demo plan after 1.1
(理论学习不够深入) has been carried out, approved and closed (销号); the four charts render (a canvas in
each container) with no console error, clicking a bar of a chart and a link of a table each land on the
ledger filtered to what was clicked, and the page fits a phone.

Screenshots: ``dashboard-desktop`` and ``dashboard-phone`` (390 px) under ``test-artifacts/screenshots/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select

from engine import HumanTask, TaskStatus
from workflows import tasks as task_service
from workflows.models import Part, Problem
from workflows.people import actor_by_login

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

pytestmark = pytest.mark.browser

CLOSED = "理论学习不够深入"  # 1.1, of 机关党总支 (dzz), 李书记 (shuji) responsible
CHARTS = ("parts", "units", "statuses", "trend")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def work(live: LiveApp, stage: str, login: str, **data: object) -> None:
    """``login`` claims and completes every open task of ``stage`` of the closed problem."""
    with live.session() as session:
        actor = actor_by_login(session, login)
        problem = session.scalars(select(Problem).where(Problem.title == CLOSED)).one()
        tasks = session.scalars(select(HumanTask).where(
            HumanTask.instance_id == problem.instance_id, HumanTask.stage == stage,
            HumanTask.status == TaskStatus.OPEN).order_by(HumanTask.id)).all()
        assert tasks, f"no open {stage} task"
        for task in tasks:
            if task.assignee is None:
                task_service.claim(session, live.found.workflow_engine, task.id, actor)
            task_service.complete(session, live.found.workflow_engine, task.id, actor, data)


def close_one_problem(live: LiveApp) -> int:
    """1.1 carried out, approved and verified two days into the demo; returns its part's id."""
    live.advance(days=2)
    work(live, "measure_submit", "dzz", progress="已组织集中学习", measure_done=True)
    work(live, "measure_approve", "shuji", review_decision="approve")
    work(live, "verify", "ducha", verify_decision="pass")
    with live.session() as session:
        return session.scalars(select(Part.id).join(Problem, Problem.part_id == Part.id)
                               .where(Problem.title == CLOSED)).one()


def watch_errors(page: Page) -> list[str]:
    """Console errors and uncaught exceptions of ``page`` as they happen (the browser's own request for
    /favicon.ico, which the app does not serve, left out)."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        where = message.location.get("url", "")
        if message.type == "error" and not where.endswith("/favicon.ico"):
            errors.append(f"{message.text} ({where})")

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


def bar_point(page: Page, chart: str, row: int, before: int, width: int) -> tuple[float, float]:
    """Where on the screen the middle of a stacked segment is: row ``row``, from ``before`` to ``before + width``."""
    box = page.locator(f'[data-chart="{chart}"]').bounding_box()
    assert box is not None
    x, y = page.evaluate(
        "([chart, value, row]) => echarts.getInstanceByDom(document.querySelector(`[data-chart=\"${chart}\"]`))"
        ".convertToPixel({xAxisIndex: 0, yAxisIndex: 0}, [value, row])",
        [chart, before + width / 2, row],
    )
    return box["x"] + x, box["y"] + y


def test_supervision_reads_the_dashboard_and_follows_its_figures(live: LiveApp) -> None:
    from playwright.sync_api import expect

    part_id = close_one_problem(live)
    with chromium() as browser:
        page = new_page(browser)
        errors = watch_errors(page)
        with step(page, "dashboard-charts"):
            sign_in(page, live, "ducha")
            page.get_by_role("link", name="统计").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("整改统计")
            expect(page.locator('[data-figure="closed-this-month"]')).to_have_text("1")
            for chart in CHARTS:
                expect(page.locator(f'[data-chart="{chart}"]')).to_be_visible()
                expect(page.locator(f'[data-chart="{chart}"] canvas').first).to_be_attached()
            page.wait_for_timeout(600)  # the charts' entry animation
            screenshot(page, "dashboard-desktop")
            assert errors == []
        with step(page, "dashboard-click-bar"):
            data = page.evaluate("JSON.parse(document.getElementById('dashboard-data').textContent)")
            first = data["parts"][0]
            assert first["values"]["done"] == 2 and first["urls"]["done"].endswith(f"&part={part_id}&status=done")
            row, late = next((i, p) for i, p in enumerate(data["parts"]) if p["values"]["red"])
            # the red segment of a part with overdue measures: after done, green, blue and yellow
            before = sum(late["values"][k] for k in ("done", "green", "blue", "yellow"))
            x, y = bar_point(page, "parts", row, before, late["values"]["red"])
            page.mouse.move(x, y)  # the tooltip (drawn on the canvas: no inline style for the CSP to refuse)
            page.wait_for_timeout(300)
            assert errors == []
            page.mouse.click(x, y)
            expect(page).to_have_url(re.compile(r"/ledger\?round=\d+&part=\d+&colour=red$"))
            assert page.url.endswith(late["urls"]["red"])
        with step(page, "dashboard-click-link"):
            page.go_back()
            units = page.locator("table.dash-table").nth(1)
            link = units.locator("a.warn-red").first
            unit_url = link.get_attribute("href")
            assert unit_url and re.search(r"/ledger\?round=\d+&unit=\w+&colour=red$", unit_url)
            link.click()
            expect(page).to_have_url(re.compile(re.escape(unit_url) + "$"))
        phone = new_page(browser, phone=True)
        phone_errors = watch_errors(phone)
        with step(phone, "dashboard-phone"):
            sign_in(phone, live, "ducha")
            phone.goto(f"{live.url}/dashboard")
            for chart in CHARTS:
                expect(phone.locator(f'[data-chart="{chart}"] canvas').first).to_be_attached()
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the page is wider than the phone: {width}px"
            phone.wait_for_timeout(400)
            screenshot(phone, "dashboard-phone")
            assert phone_errors == []
