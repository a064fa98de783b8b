"""A real Chromium walks issue 11 end to end. 赵督查 (supervision) uploads the seed report at /import,
sees 10 parts, 25 problems and 55 measures beside the source, fixes one measure's deadline and moves one
measure to another problem in the preview, and confirms; the ledger then shows 10/25/55 with the fix
applied; the problem page draws the diagram with the current step highlighted (bpmn-js overlays); the
dashboard's charts render; supervision publishes, and a signed-out visitor reads the report at /public
and sends feedback, which appears in supervision's inbox as a triage task. No console error anywhere.
Screenshots: ``import-preview-desktop``, ``import-preview-phone`` (390 px), ``walk-ledger``,
``walk-problem-diagram``, ``walk-dashboard``, ``walk-public``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from engine import InstanceStatus, ProcessInstance
from workflows.models import DraftStatus, ImportDraft, InspectionRound
from workflows.plans import round_problems

from ..conftest import SEED
from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser

SUPERVISION = "ducha"


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def test_supervision_imports_the_seed_and_walks_it_to_the_public_page(live: LiveApp) -> None:
    from playwright.sync_api import expect

    with chromium() as browser:
        page = new_page(browser)
        errors: list[str] = []
        page.on("console", lambda message: errors.append(f"{message.text} {message.location.get('url')}")
                if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        with step(page, "import-upload"):
            sign_in(page, live, SUPERVISION)
            page.get_by_role("link", name="导入").click()
            expect(page.get_by_role("heading", level=1)).to_have_text("导入整改方案或台账")
            page.get_by_label("选择文件").set_input_files(str(SEED))
            page.get_by_role("button", name="上传并预览").click()
            expect(page).to_have_url(re.compile(r"/import/\d+$"))
            counts = page.locator(".import-counts")
            expect(counts).to_have_text("10 个方面，25 个问题，55 项措施")
            expect(page.locator("details.import-part")).to_have_count(10)
            expect(page.locator("details.import-problem")).to_have_count(25)
            expect(page.locator("li.import-measure")).to_have_count(55)
            expect(page.locator("li.source-line#L11")).to_contain_text("明确每两个月组织一次中心组集中学习")
        draft_url = page.url
        with step(page, "import-fix-deadline"):
            part = page.locator('details[data-part="1"]')
            part.locator("> summary").click()
            part.locator('details[data-problem="1.1"] > summary').click()
            measure = page.locator('li[data-measure="1.1.1"]')
            measure.locator("details.measure-edit > summary").click()
            fill = measure.locator("form.fill-form")
            fill.locator('input[name="deadline"]').fill("2026-06-30")
            fill.get_by_role("button", name="保存").click()
            expect(page.locator(".alert-success")).to_contain_text("已更正")
            expect(page.locator('li[data-measure="1.1.1"] .fact-deadline')).to_have_text("整改时限：2026-06-30")
            expect(page.locator("li.source-line.focus")).to_have_count(1)  # line 11, where 1.1.1 came from
            expect(page.locator("#L11")).to_have_class(re.compile(r"\bfocus\b"))
            screenshot(page, "import-preview-desktop")
        with step(page, "import-line-link"):
            pane = page.locator(".import-source")
            before = pane.evaluate("el => el.scrollTop")
            page.locator('details[data-problem="1.1"] .line-refs a', has_text="第 10 行").click()
            expect(page.locator("#L10")).to_have_class(re.compile(r"\bflash\b"))
            assert pane.evaluate("el => el.scrollTop") <= before  # the pane, not the page, moved to line 10
        with step(page, "import-move"):
            problem = page.locator('details[data-problem="1.2"]')
            problem.locator("> summary").click()
            moved = page.locator('li[data-measure="1.2.4"]')
            expect(moved).to_contain_text("签到表")
            moved.locator("details.measure-edit > summary").click()
            moved.locator('select[name="to_problem"]').select_option("1.1")
            moved.get_by_role("button", name="移到其他问题").click()
            expect(page.locator(".alert-success")).to_contain_text("已更正")
            page.locator('details[data-part="1"] > summary').click()
            page.locator('details[data-problem="1.1"] > summary').click()
            expect(page.locator('details[data-problem="1.1"] li.import-measure')).to_have_count(3)
            expect(page.locator('li[data-measure="1.1.3"]')).to_contain_text("签到表")
            expect(counts).to_have_text("10 个方面，25 个问题，55 项措施")
        phone = new_page(browser, phone=True)
        with step(phone, "import-phone"):
            sign_in(phone, live, SUPERVISION)
            phone.goto(f"{draft_url}?at=m-1-1-1")
            expect(phone.locator(".import-counts")).to_have_text("10 个方面，25 个问题，55 项措施")
            width = phone.evaluate("document.documentElement.scrollWidth")
            assert width <= 390, f"the preview is wider than the phone: {width}px"
            screenshot(phone, "import-preview-phone")
        with step(page, "import-confirm"):
            page.get_by_role("button", name="确认导入").click()
            expect(page).to_have_url(re.compile(r"/ledger\?round=\d+$"))
        round_url = page.url
        with step(page, "walk-ledger"):
            for name, value in (("parts", "10"), ("problems", "25"), ("measures", "55")):
                expect(page.locator(f'.ledger-counters dd[data-count="{name}"]')).to_have_text(value)
            expect(page.locator("tr.measure-row")).to_have_count(55)
            fixed = page.locator("tbody.ledger-problem").first.locator("tr.measure-row").first
            expect(fixed.locator(".deadline-cell")).to_contain_text("2026-06-30")
            expect(page.locator("tbody.ledger-problem").first.locator("tr.measure-row")).to_have_count(3)
            screenshot(page, "walk-ledger")
        with step(page, "walk-problem-diagram"):
            page.locator("tbody.ledger-problem").first.locator("a.problem-title").click()
            expect(page).to_have_url(re.compile(r"/problems/\d+$"))
            expect(page.locator("g.djs-element.rf-current").first).to_be_attached()
            expect(page.locator(".djs-overlay .rf-overlay-current", has_text="当前").first).to_be_visible()
            screenshot(page, "walk-problem-diagram")
        with step(page, "walk-dashboard"):
            page.goto(round_url.replace("/ledger", "/dashboard"))
            charts = page.locator("[data-chart]:not([hidden])")  # a chart with nothing to show stays hidden
            expect(charts.first).to_be_visible()
            assert charts.count() >= 2, charts.count()
            for n in range(charts.count()):
                expect(charts.nth(n).locator("canvas, svg").first).to_be_attached()
            screenshot(page, "walk-dashboard")
        with step(page, "walk-publish"):
            page.get_by_role("link", name="公布").click()
            imported = page.locator(".publish-round", has_text="对海珠区委政法委巡察反馈意见整改")
            imported.get_by_role("button", name="公布最新进展").click()
            expect(page.locator(".alert-success")).to_contain_text("第 1 版")
        visitor = new_page(browser)
        visitor.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        with step(visitor, "walk-public"):
            visitor.goto(f"{live.url}/public")
            expect(visitor.locator(".main-nav")).to_have_count(0)  # nobody is signed in
            expect(visitor.locator(".publication .report")).to_contain_text("理论学习不够深入")
            screenshot(visitor, "walk-public")
            visitor.get_by_label("意见建议内容").fill("建议公开各项整改措施的完成时间。")
            visitor.get_by_role("button", name="提交").click()
            expect(visitor.locator(".alert-success")).to_contain_text("感谢您的意见建议")
        with step(page, "walk-triage-task"):
            page.goto(f"{live.url}/?tab=claimable")
            expect(page.get_by_role("cell", name="意见建议处理")).to_be_visible()
    assert not [e for e in errors if "favicon" not in e], errors
    round_id = int(round_url.rsplit("=", 1)[1])
    with live.session() as session:
        round_ = session.get(InspectionRound, round_id)
        assert round_ is not None and round_.title == "广州市区委巡察第8组对海珠区委政法委巡察反馈意见整改"
        problems = round_problems(round_)
        assert (len(round_.parts), len(problems), sum(len(p.measures) for p in problems)) == (10, 25, 55)
        first = problems[0].measures
        assert (len(first), first[0].deadline, len(problems[1].measures)) == (3, date(2026, 6, 30), 3)
        assert "签到表" in first[2].text
        running = session.scalars(select(ProcessInstance.status).where(
            ProcessInstance.id.in_([p.instance_id for p in problems]))).all()
        assert running.count(InstanceStatus.RUNNING) == 25
        draft = session.scalars(select(ImportDraft)).one()
        assert (draft.status, draft.round_id) == (DraftStatus.CONFIRMED, round_id)
