"""The problem page as its readers meet it: the problem's facts, its measures with deadline history,
progress and evidence, the lifecycle's tasks and audit trail, and its position on the diagram version
it runs (as JSON for bpmn-js and as a list of steps without JavaScript)."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import FixedClock, ProcessDefinition
from web.services import services
from workflows.models import DeadlineChange, DeadlineSource, Evidence, Measure, Part, Problem, ProblemFlag
from workflows.people import person_by_login, unit_by_code
from workflows.plans import add_measure, add_problem, launch

from ..conftest import BPMN_DIR, START
from ..workflows.evidence_samples import pdf_bytes
from ..workflows.plan_fixtures import ADMIN
from .conftest import make_test_app
from .plan_helpers import add_running_problem, complete_as, open_tasks, running_plan
from .task_desk import Desk, approve_all, approve_step, counted, instance_of, only, text


@pytest.fixture
def desk(db_engine: Engine, committing_sessions: sessionmaker[Session], tmp_path: Path) -> Desk:
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, EVIDENCE_DIR=str(tmp_path / "evidence"))
    return Desk(app, committing_sessions, clock, running_plan(committing_sessions, clock))


def diagram_state(html: str) -> dict[str, object]:
    match = re.search(r'<script type="application/json" id="diagram-state">(.*?)</script>', html, re.S)
    assert match is not None, "no diagram state on the page"
    found: dict[str, object] = json.loads(match.group(1))
    return found


def step_state(html: str, bpmn_id: str) -> str:
    """The state class of one step in the server-rendered list (step-current, step-done, …)."""
    match = re.search(rf'<li class="step step-\w+ step-(\w+)[^"]*" data-element-id="{bpmn_id}">', html)
    assert match is not None, f"{bpmn_id} is not in the list of steps"
    return match.group(1)


def submit_with_evidence(desk: Desk, progress: str) -> int:
    """officer1 submits 1.1's first measure through the task page with a PDF; returns the task's id."""
    studying = instance_of(desk, desk.plan.studying_id)
    task = next(t for t in open_tasks(desk.sessions, stage="measure_submit") if t.instance_id == studying)
    client = desk.browser("officer1")
    assert client.post(f"/tasks/{task.id}/claim").status_code == 302
    response = desk.post("officer1", task.id, {
        "progress": progress, "evidence": (io.BytesIO(pdf_bytes()), "学习记录.pdf")})
    assert response.status_code == 303, text(response)[:500]
    return task.id


def test_supervision_sees_the_problem_its_measures_tasks_audit_and_position(desk: Desk) -> None:
    done = submit_with_evidence(desk, "已组织第一次集中学习")
    page = desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}")
    assert page.status_code == 200
    html = text(page)
    for shown in ("理论学习不够深入", "李书记", "综治科", "党的领导方面", "每两个月组织一次中心组集中学习",
                  "建立学习台账，逐次登记。", "已组织第一次集中学习", "学习记录.pdf", "整改中", "王晓明"):
        assert shown in html, shown
    with desk.sessions() as session:
        evidence = session.scalars(select(Evidence)).one()
    assert f'href="/evidence/{evidence.id}"' in html
    assert f'href="/tasks/{done}"' in html  # the done task, and the open ones, link to their pages
    for task in open_tasks(desk.sessions):
        if task.instance_id == instance_of(desk, desk.plan.studying_id):
            assert f'href="/tasks/{task.id}"' in html
    # The audit trail: the engine's entries of the instance, in the reader's words.
    for action in ("启动流程", "领取", "办结"):
        assert action in html, action
    state = diagram_state(html)
    current = {item["id"]: item for item in state["current"]}  # type: ignore[union-attr]
    assert set(current) == {"Task_submit_progress", "Task_approve_measure"}
    assert current["Task_approve_measure"]["label"] == "当前"
    assert {"StartEvent_problem", "StartEvent_work"} <= set(state["completed"])  # type: ignore[arg-type]
    [deadline_timer] = state["waiting"]  # type: ignore[misc]
    assert deadline_timer["id"] == "Timer_measure_deadline" and len(deadline_timer["due"]) == 2
    # The same position as a list of steps, for a browser without JavaScript.
    assert step_state(html, "Task_approve_measure") == "current"
    assert step_state(html, "Timer_measure_deadline") == "waiting"
    assert step_state(html, "Task_verify") == "none"
    assert f'data-xml-url="/problems/{desk.plan.studying_id}/diagram.bpmn"' in html
    assert "/vendor/bpmn-viewer.js" in html and "/vendor/diagram-js.css" in html


def test_a_problem_of_another_unit_is_404_for_an_officer_like_a_missing_one(desk: Desk) -> None:
    outsider = desk.browser("officer2")  # U2: the studying problem is U1's
    for path in (f"/problems/{desk.plan.studying_id}", f"/problems/{desk.plan.studying_id}/diagram.bpmn",
                 "/problems/987654", "/problems/987654/diagram.bpmn"):
        response = outsider.get(path)
        assert response.status_code == 404, path
        assert "理论学习不够深入" not in text(response)
    assert outsider.get(f"/problems/{desk.plan.finance_id}").status_code == 200  # its own unit's
    assert desk.browser("officer1").get(f"/problems/{desk.plan.studying_id}").status_code == 200


def test_user_text_is_escaped(desk: Desk) -> None:
    hostile = '<script>alert("x")</script>'
    problem_id = add_running_problem(desk.sessions, desk.clock, desk.plan, title=f"问题{hostile}", measures=1)
    task = only([t for t in open_tasks(desk.sessions, stage="measure_submit")
                 if t.instance_id == instance_of(desk, problem_id)])
    complete_as(desk.sessions, desk.clock, task.id, "officer1", progress=f"进展{hostile}", evidence=[])
    html = text(desk.browser("ducha").get(f"/problems/{problem_id}"))
    assert hostile not in html
    assert html.count("&lt;script&gt;alert(") >= 3  # title, measure text, progress
    assert "<script>alert" not in html


def test_the_diagram_is_the_version_the_instance_runs_after_a_newer_one_is_deployed(desk: Desk) -> None:
    original = (BPMN_DIR / "rectification.bpmn").read_text(encoding="utf-8")
    modified = original.replace('name="逐项核实 Verify"', 'name="逐项核实（第二版） Verify v2"')
    assert modified != original
    with desk.sessions.begin() as session:
        [result] = services(desk.app).workflow_engine.deploy(session, modified.encode("utf-8"),
                                                             "rectification-v2.bpmn", actor="admin")
        assert result.created and result.definition.version == 2
    old = desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}/diagram.bpmn")
    assert old.status_code == 200 and old.mimetype == "application/xml"
    assert old.headers["Content-Security-Policy"].startswith("sandbox")
    assert old.get_data(as_text=True) == original and "第二版" not in old.get_data(as_text=True)
    page = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}"))
    assert "第 1 版" in page and "已有更新的第 2 版" in page
    # A problem launched now runs (and is drawn from) the new version.
    newer = add_running_problem(desk.sessions, desk.clock, desk.plan, title="新启动的问题", measures=1)
    fresh = desk.browser("ducha").get(f"/problems/{newer}/diagram.bpmn")
    assert "第二版" in fresh.get_data(as_text=True)
    with desk.sessions() as session:
        versions = session.scalars(select(ProcessDefinition.version).order_by(ProcessDefinition.version)).all()
    assert versions == [1, 2]


def test_deadline_history_flag_and_english(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        measure = session.scalars(select(Measure).where(Measure.problem_id == desk.plan.studying_id)
                                  .order_by(Measure.ordinal)).first()
        assert measure is not None
        session.add(DeadlineChange(measure_id=measure.id, old_deadline=date(2026, 3, 31),
                                   new_deadline=date(2026, 5, 31), source=DeadlineSource.EXTENSION,
                                   reason="需协调市级部门", changed_by="leader1", changed_at=desk.clock()))
        measure.deadline = date(2026, 5, 31)
        session.add(ProblemFlag(problem_id=desk.plan.studying_id, reason="进度滞后，挂牌督办",
                                deadline=date(2026, 2, 20), flagged_by="ducha", flagged_at=desk.clock()))
    html = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}"))
    # The ledger's wording (workflows.ledger.history_text).
    assert "原定时限2026-03-31，调整后时限2026-05-31。调整记录：2026-03-31→2026-05-31（批准延期，李书记，" in html
    assert "需协调市级部门" in html
    assert "挂牌督办" in html and "督办时限2026-02-20：进度滞后，挂牌督办" in html
    english = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}?lang=en"))
    assert "Lifecycle diagram" in english and "Audit trail" in english and "Flagged for supervision" in english
    assert diagram_state(english)["current"][0]["label"] == "current ×2"  # type: ignore[index]  # two measures


def test_without_the_libraries_the_page_lists_the_steps_only(desk: Desk, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("web.problems.routes.installed", lambda name: False)
    html = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}"))
    assert "bpmn-viewer.js" not in html and "problem_diagram.js" not in html and "diagram-js.css" not in html
    assert 'id="diagram-state"' not in html
    assert step_state(html, "Task_submit_progress") == "current"


def test_the_page_costs_the_same_queries_however_long_the_history(desk: Desk, db_engine: Engine) -> None:
    studying = instance_of(desk, desk.plan.studying_id)
    task = next(t for t in open_tasks(desk.sessions, stage="measure_submit") if t.instance_id == studying)
    review = approve_step(desk, task.id)
    client = desk.browser("ducha")
    assert client.get(f"/problems/{desk.plan.studying_id}").status_code == 200  # warm the spec cache
    with counted(db_engine) as short:
        assert client.get(f"/problems/{desk.plan.studying_id}").status_code == 200
    for n in range(3):
        complete_as(desk.sessions, desk.clock, review, "leader1", review_decision="return", reason=f"第{n}次退回")
        again = only([t for t in open_tasks(desk.sessions, stage="measure_submit") if t.item_key == task.item_key])
        review = approve_step(desk, again.id)
    with counted(db_engine) as long:
        page = client.get(f"/problems/{desk.plan.studying_id}")
    assert page.status_code == 200 and "第2次退回" in text(page)
    assert len(long) == len(short), (len(short), len(long))
    assert len(short) <= 40, len(short)  # sign-in, the round's ledger rows, the lifecycle, the position


def test_a_problem_without_a_lifecycle_shows_no_diagram(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        problem = session.get(Problem, desk.plan.studying_id)
        assert problem is not None
        problem.instance_id = None
    html = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}"))
    assert "整改流程尚未启动" in html and 'id="diagram-state"' not in html
    assert desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}/diagram.bpmn").status_code == 404


def test_an_officer_sees_only_the_measures_of_their_unit_and_their_history(desk: Desk) -> None:
    with desk.sessions.begin() as session:
        part = session.get(Part, desk.plan.part_ids[1])
        leader = person_by_login(session, "leader1")
        u1, u2 = unit_by_code(session, "U1"), unit_by_code(session, "U2")
        assert part is not None and leader is not None and u1 is not None and u2 is not None
        problem = add_problem(session, part, "两个单位共同整改的问题", leader=leader, lead_unit=u1)
        add_measure(session, problem, "综治科负责的措施", deadline=date(2026, 9, 30), units=[u1])
        add_measure(session, problem, "办公室负责的措施", deadline=date(2026, 9, 30), units=[u2])
        launch(session, services(desk.app).workflow_engine, part.round, ADMIN)
        problem_id, instance_id = problem.id, problem.instance_id
    task = only([t for t in open_tasks(desk.sessions, stage="measure_submit", unit="U1")
                 if t.instance_id == instance_id])
    complete_as(desk.sessions, desk.clock, task.id, "officer1", progress="综治科的进展不给办公室看", evidence=[])
    office = text(desk.browser("officer2").get(f"/problems/{problem_id}"))
    assert "办公室负责的措施" in office and "另有 1 项措施属于其他单位" in office
    assert "综治科负责的措施" not in office and "综治科的进展不给办公室看" not in office
    assert f'href="/tasks/{task.id}"' not in office
    security = text(desk.browser("officer1").get(f"/problems/{problem_id}"))
    assert "综治科负责的措施" in security and "综治科的进展不给办公室看" in security


def test_a_failed_verification_shows_the_reopening_and_the_position_back_at_submission(desk: Desk) -> None:
    approve_all(desk, desk.plan.studying_id)
    verify = only(open_tasks(desk.sessions, stage="verify"))
    assert desk.browser("ducha").post(f"/tasks/{verify.id}/claim").status_code == 302
    response = desk.post("ducha", verify.id, {"verify_decision": "fail", "reason": "佐证材料不充分",
                                              "new_deadline": "2026-04-30"})
    assert response.status_code == 303
    html = text(desk.browser("ducha").get(f"/problems/{desk.plan.studying_id}"))
    assert "核实未通过，重新整改（周督查，2026-01-05）。原因：佐证材料不充分" in html
    assert "（核实未通过，周督查，2026-01-05：佐证材料不充分）" in html  # each measure's deadline history
    state = diagram_state(html)
    assert {item["id"] for item in state["current"]} == {"Task_submit_progress"}  # type: ignore[union-attr]
    assert {"Task_verify", "Event_verify_failed", "Task_approve_measure"} <= set(state["completed"])  # type: ignore[arg-type]
    assert step_state(html, "Task_verify") == "done"
