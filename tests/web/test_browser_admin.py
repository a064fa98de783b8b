"""A real Chromium walks issue 12's admin acceptance: the administrator uploads a revised lifecycle diagram
(a new version; the running instances keep theirs, as an instance's page shows), sees a refused diagram's
errors listed per element, retries an incident and reassigns a task through the open-task list.

Screenshots under ``test-artifacts/screenshots/``: ``admin-processes``, ``admin-refused-diagram``,
``admin-instance``, ``admin-incidents``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select, update

from engine import Actor, Timer, WorkflowEngine
from engine.incidents import MAX_TIMER_ATTEMPTS
from engine.models import AuditEntry
from engine.services import build_registry
from workflows.models import Problem

from .browser_harness import LiveApp, chromium, new_page, screenshot, serve_demo, sign_in, step

pytestmark = pytest.mark.browser

DIAGRAM = (Path(__file__).resolve().parents[2] / "bpmn" / "rectification.bpmn").read_text(encoding="utf-8")
REVISED = DIAGRAM.replace("重启整改 Reopen rectification", "重新整改 Reopen rectification (revised)")
SERVICE_DIAGRAM = Path(__file__).resolve().parents[1] / "fixtures" / "bpmn" / "services" / "svc_http_post.bpmn"
REFUSED = REVISED.replace(
    '<bpmn:scriptTask id="Script_reopen"',
    '<bpmn:task id="Script_reopen" name="Duplicate" /><bpmn:scriptTask id="Script_reopen"',
).replace("reopen_count = reopen_count + 1", "import os\nreopen_count = reopen_count + 1")


@pytest.fixture
def live(tmp_path: Path) -> Iterator[LiveApp]:
    with serve_demo(tmp_path) as served:
        yield served


def arrange(live: LiveApp) -> tuple[int, int]:
    """The first problem's instance, and one of its timers made an incident (its attempts exhausted)."""
    with live.session() as session:
        instance_id = session.scalars(select(Problem.instance_id).order_by(Problem.id)).first()
        assert instance_id is not None
        timer_id = session.scalars(select(Timer.id).where(Timer.instance_id == instance_id)
                                   .order_by(Timer.id)).first()
        assert timer_id is not None
        session.execute(update(Timer).where(Timer.id == timer_id).values(
            attempts=MAX_TIMER_ATTEMPTS, last_error="'Timer_measure_deadline' failed: the deadline is not a date"))
        # a service task whose service this installation does not enable: an incident, not a failed start
        deployer = WorkflowEngine(live.found.workflow_engine.clock,
                                  services=build_registry(["http_post"], http_hosts=["x.invalid"]))
        deployer.deploy_path(session, SERVICE_DIAGRAM, actor="admin")
        live.found.workflow_engine.start(session, "svc_http_post", {"url": "http://x.invalid/in", "case": "C"},
                                         actor=Actor("admin"))
        return instance_id, timer_id


def bpmn_file(name: str, text: str) -> dict[str, object]:
    return {"name": name, "mimeType": "application/xml", "buffer": text.encode()}


def test_an_administrator_deploys_inspects_retries_and_reassigns(live: LiveApp) -> None:
    from playwright.sync_api import expect

    instance_id, timer_id = arrange(live)
    with chromium() as browser:
        page = new_page(browser)
        with step(page, "admin-deploy"):
            sign_in(page, live, "admin")
            page.goto(f"{live.url}/admin/processes")
            page.locator("#diagram").set_input_files(bpmn_file("rectification.bpmn", REVISED))  # type: ignore[arg-type]
            page.get_by_role("button", name="部署").click()
            expect(page.get_by_text("已部署 rectification 第 2 版。")).to_be_visible()
            versions = page.locator('section[data-process-key="rectification"]')
            expect(versions.locator('tr[data-version="2"] .running')).to_have_text("0")
            expect(versions.locator('tr[data-version="1"] .running')).not_to_have_text("0")
            screenshot(page, "admin-processes")

        with step(page, "admin-refused"):
            page.locator("#diagram").set_input_files(bpmn_file("broken.bpmn", REFUSED))  # type: ignore[arg-type]
            page.get_by_role("button", name="部署").click()
            expect(page.locator("#refusal h2")).to_have_text("流程图未部署：发现 2 个问题。")
            rows = page.locator(".refusal-row")
            expect(rows).to_have_count(2)
            expect(rows.nth(0)).to_contain_text("already used on line")
            expect(rows.nth(1)).to_contain_text("is rejected")
            expect(versions.locator('tr[data-version="3"]')).to_have_count(0)  # nothing deployed
            screenshot(page, "admin-refused-diagram")

        with step(page, "admin-instance"):
            page.goto(f"{live.url}/admin/instances?process_key=rectification&status=running")
            page.locator(f'tr[data-instance-id="{instance_id}"] a').click()
            expect(page.locator("#instance-version")).to_contain_text("运行流程 rectification 第 1 版")
            expect(page.locator("#instance-version")).to_contain_text("最新为第 2 版")
            expect(page.locator("#problem-diagram .djs-container")).to_be_visible()
            expect(page.locator("#instance-data")).to_contain_text('"lookback_delay": "P6M"')
            screenshot(page, "admin-instance")

        with step(page, "admin-incidents"):
            page.goto(f"{live.url}/admin/incidents")
            incident = page.locator(f'article[data-timer-id="{timer_id}"]')
            expect(incident).to_contain_text("the deadline is not a date")
            service = page.locator("article[data-service-incident-id]")
            expect(service).to_contain_text("Service_post")
            expect(service.get_by_role("button", name="重试")).to_be_visible()
            screenshot(page, "admin-incidents")
            incident.get_by_role("button", name="重试").click()
            expect(page.get_by_text(f"定时器 {timer_id} 将在下次调度时重试。")).to_be_visible()
            service = page.locator("article[data-service-incident-id]")
            service.get_by_label("跳过原因").fill("接收系统尚未上线")
            service.get_by_role("button", name="跳过").click()
            expect(page.get_by_text(re.compile(r"已跳过服务任务故障 \d+"))).to_be_visible()
            expect(page.get_by_text("没有故障。")).to_be_visible()

        with step(page, "admin-reassign"):
            page.goto(f"{live.url}/admin/tasks")
            first = page.locator(".task-row").first
            task_id = first.get_attribute("data-task-id")
            first.get_by_role("link", name="转办").click()
            expect(page).to_have_url(f"{live.url}/tasks/{task_id}/reassign")
            page.locator("#reassign-to").select_option(index=1)
            page.locator("#reassign-reason").fill("原经办人借调，改由他人办理")
            page.get_by_role("button", name="转办").click()
            expect(page).to_have_url(f"{live.url}/tasks/{task_id}")

    with live.session() as session:
        actions = set(session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "admin")))
    assert {"deploy", "incident_retry", "reassign"} <= actions
