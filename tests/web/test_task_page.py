"""The task page as its users meet it: the problem, its measures and history, the step's form
rendered from its declaration, completing it, and every way a task can move on under them."""

from __future__ import annotations

import io
import re
import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.test import TestResponse

from engine import FixedClock, HumanTask, TaskStatus
from workflows.item_keys import measure_id
from workflows.models import Evidence, Measure

from ..conftest import START
from ..workflows.evidence_samples import pdf_bytes
from .conftest import PASSWORD, make_test_app
from .plan_helpers import claim_as, complete_as, open_tasks, running_plan
from .task_desk import (
    Desk,
    approve_all,
    approve_step,
    counted,
    csrf_of,
    fields_of,
    fire_timers,
    instance_of,
    only,
    submit_task,
    text,
)


@pytest.fixture
def desk(db_engine: Engine, committing_sessions: sessionmaker[Session], tmp_path: Path) -> Desk:
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, EVIDENCE_DIR=str(tmp_path / "evidence"))
    return Desk(app, committing_sessions, clock, running_plan(committing_sessions, clock))


# -- each step's form ------------------------------------------------------------------------

def test_the_holder_sees_the_form_of_each_step_and_others_do_not(desk: Desk) -> None:
    studying = [t for t in open_tasks(desk.sessions, stage="measure_submit", unit="U1")
                if t.instance_id == instance_of(desk, desk.plan.studying_id)]
    first, second = studying
    claim_as(desk.sessions, desk.clock, first.id, "officer1")
    page = text(desk.page("officer1", first.id))
    assert fields_of(page) == {"progress": "textarea", "measure_done": "checkbox", "evidence": "file"}
    assert "理论学习不够深入" in page and "每两个月组织一次中心组集中学习" in page and "李书记" in page
    assert "综治科" in page and "党的领导方面" in page
    colleague = text(desk.page("officer3", first.id))  # same unit, not the holder: reads, no form
    assert fields_of(colleague) == {} and "王晓明" in colleague
    offered = text(desk.page("officer3", second.id))  # unclaimed: a claim button back to this page
    assert f'action="/tasks/{second.id}/claim"' in offered and f'value="/tasks/{second.id}"' in offered
    assert fields_of(offered) == {}

    approve_all(desk, desk.plan.studying_id)
    verify = only(open_tasks(desk.sessions, stage="verify"))
    claim_as(desk.sessions, desk.clock, verify.id, "ducha")
    page = text(desk.page("ducha", verify.id))
    assert fields_of(page) == {"verify_decision": "radio", "reason": "textarea", "new_deadline": "date"}
    assert "核实通过，予以销号" in page and "核实未通过时必填" in page
    english = text(desk.browser("ducha").get(f"/tasks/{verify.id}?lang=en"))
    assert "Verify" in english and "required when verification fails" in english
    assert desk.post("ducha", verify.id, {"verify_decision": "pass"}).status_code == 303

    fire_timers(desk, days=200)  # the look-back is six months after closing
    lookback = only(open_tasks(desk.sessions, stage="lookback"))
    claim_as(desk.sessions, desk.clock, lookback.id, "ducha")
    page = text(desk.page("ducha", lookback.id))
    assert fields_of(page) == {"lookback_decision": "radio", "reason": "textarea", "new_deadline": "date"}
    assert "已巩固" in page


def test_review_and_the_long_term_steps_show_their_forms(desk: Desk) -> None:
    submit = only([t for t in open_tasks(desk.sessions, stage="measure_submit")
                   if t.instance_id == instance_of(desk, desk.plan.ideology_id)])
    complete_as(desk.sessions, desk.clock, submit.id, "officer1", progress="已落实", evidence=[])
    review = only(open_tasks(desk.sessions, stage="measure_approve"))
    claim_as(desk.sessions, desk.clock, review.id, "leader1")
    page = text(desk.page("leader1", review.id))
    assert fields_of(page) == {"review_decision": "radio", "reason": "textarea"}
    assert "同意" in page and "退回" in page and "已落实" in page  # the submission being reviewed
    assert desk.post("leader1", review.id, {"review_decision": "approve"}).status_code == 303

    close = only(open_tasks(desk.sessions, stage="close_long_term"))
    claim_as(desk.sessions, desk.clock, close.id, "ducha")
    assert fields_of(text(desk.page("ducha", close.id))) == {"close_note": "textarea"}
    fire_timers(desk, days=32)  # a report period passes
    report = only(open_tasks(desk.sessions, stage="long_term_report"))
    claim_as(desk.sessions, desk.clock, report.id, "officer1")
    assert fields_of(text(desk.page("officer1", report.id))) == {"progress": "textarea", "evidence": "file"}

    # Supervision closes the problem: the report still owed is cancelled under the officer.
    assert desk.post("ducha", close.id, {"close_note": "机制已建立，予以销号"}).status_code == 303
    assert desk.task(report.id).status == TaskStatus.CANCELLED
    late = desk.post("officer1", report.id, {"progress": "本季度开展专题学习两次"})
    assert late.status_code == 409
    page = text(late)
    assert "该任务已取消" in page and "本季度开展专题学习两次" in page and 'href="/"' in page
    assert fields_of(page) == {}


# -- statuses and warnings -------------------------------------------------------------------------

def _measures_of(page: str) -> list[str]:
    """The measure items of a task page, in order."""
    return re.findall(r'<li class="measure[^"]*">(.*?)</li>', page, re.S)


def _badge(status: str, word: str) -> str:
    return rf'class="status status-{status}"[^>]*>{word}<'


def test_an_approved_measure_shows_done_without_a_warning_and_a_closed_problem_none(desk: Desk) -> None:
    fire_timers(desk, days=100)  # 15 April: the first measure (due 31 March) is late, the second is not
    first, second = sorted((t for t in open_tasks(desk.sessions, stage="measure_submit")
                            if t.instance_id == instance_of(desk, desk.plan.studying_id)),
                           key=lambda t: measure_id(t.item_key) or 0)  # in the measures' order
    late, early = _measures_of(text(desk.page("officer1", first.id)))
    assert "已逾期 15 天" in late and "warn-red" in late and re.search(_badge("overdue", "逾期"), late)
    assert "剩余 76 天" in early and re.search(_badge("pending", "待整改"), early)

    review = approve_step(desk, first.id)
    complete_as(desk.sessions, desk.clock, review, "leader1", review_decision="approve", reason=None)
    page = text(desk.page("leader1", review))
    late, early = _measures_of(page)
    assert re.search(_badge("done", "已完成"), late) and "2026-03-31" in late
    assert "逾期" not in late and "warn-" not in late  # done: the date alone, no colour, no days
    assert "剩余 76 天" in early  # still to do: still warned
    assert re.search(_badge("in_progress", "整改中"), page)
    assert "warn-red" not in page  # nor the finished review's own deadline

    complete_as(desk.sessions, desk.clock, approve_step(desk, second.id), "leader1",
                review_decision="approve", reason=None)
    verify = only(open_tasks(desk.sessions, stage="verify"))
    assert re.search(_badge("awaiting_verification", "待核实"), text(desk.page("ducha", verify.id)))
    complete_as(desk.sessions, desk.clock, verify.id, "ducha", verify_decision="pass")
    closed = text(desk.page("ducha", verify.id))
    assert re.search(_badge("closed", "已销号"), closed) and "warn-" not in closed
    assert re.search(_badge("closed", "closed"), text(desk.browser("ducha").get(f"/tasks/{verify.id}?lang=en")))

    fire_timers(desk, days=200)  # the look-back opens six months on, long after both deadlines
    looking = text(desk.page("officer1", first.id))
    assert re.search(_badge("look_back", "回头看"), looking)
    assert all("逾期" not in item and "已完成" in item for item in _measures_of(looking))
    assert "warn-" not in looking


# -- refused input -----------------------------------------------------------------------------

def test_a_refused_form_shows_errors_beside_the_fields_keeps_the_input_and_changes_nothing(desk: Desk) -> None:
    task = submit_task(desk)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    empty = desk.post("officer1", task.id, {"progress": "  ", "measure_done": "on"})
    assert empty.status_code == 422
    page = text(empty)
    assert re.search(r'id="field-progress-error"[^>]*>请填写整改进展（progress）。<', page)
    assert re.search(r'name="measure_done" value="on"[^>]*\s+checked', page)  # the tick is kept

    long_text = "落实" * 2501
    too_long = text(desk.post("officer1", task.id, {"progress": long_text}))
    assert "整改进展不能超过 5000 个字符（progress）。" in too_long and f">{long_text}</textarea>" in too_long

    bad_file = desk.post("officer1", task.id, {
        "progress": "已召开专题会议", "evidence": [(io.BytesIO(b"MZ\x90\x00"), "tool.exe"),
                                                  (io.BytesIO(pdf_bytes()), "会议纪要.pdf")],
    })
    assert bad_file.status_code == 422
    page = text(bad_file)
    assert 'id="field-evidence-error"' in page and "tool.exe" in page
    assert ">已召开专题会议</textarea>" in page and "请重新选择要上传的文件" in page
    assert desk.task(task.id).status == TaskStatus.OPEN and desk.completions() == 0
    with desk.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Evidence)) == 0

    review_task = approve_step(desk, task.id)
    no_reason = desk.post("leader1", review_task, {"review_decision": "return", "reason": ""})
    assert no_reason.status_code == 422
    page = text(no_reason)
    assert "请填写退回理由（reason）。" in page
    assert re.search(r'value="return"\s+checked', page)
    english = desk.browser("leader1").post(f"/tasks/{review_task}/complete?lang=en",
                                           data={"review_decision": "maybe"}, content_type="multipart/form-data")
    assert english.status_code == 422 and "decision must be one of approve, return" in text(english)


# -- completing and the history ------------------------------------------------------------------

def test_completing_goes_back_to_the_inbox_and_the_history_shows_it_with_evidence(desk: Desk) -> None:
    task = submit_task(desk)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    done = desk.post("officer1", task.id, {
        "progress": "已组织中心组集中学习 3 次", "measure_done": "on",
        "evidence": [(io.BytesIO(pdf_bytes("学习记录")), "学习记录.pdf"), (io.BytesIO(pdf_bytes()), "签到表.pdf")],
    })
    assert done.status_code == 303 and done.headers["Location"] == "/"
    inbox = text(desk.browser("officer1").get("/"))
    assert "已提交“报送整改进展与佐证材料”。" in inbox
    with desk.sessions() as session:
        assert session.get(Measure, int(task.item_key.split(":")[1])).progress == "已组织中心组集中学习 3 次"  # type: ignore[union-attr,arg-type]
        files = list(session.scalars(select(Evidence).order_by(Evidence.id)))
    assert [f.filename for f in files] == ["学习记录.pdf", "签到表.pdf"] and {f.task_id for f in files} == {task.id}
    assert desk.task(task.id).data["evidence"] == [f.id for f in files]  # type: ignore[index]

    review = only([t for t in open_tasks(desk.sessions, stage="measure_approve") if t.item_key == task.item_key])
    page = text(desk.page("leader1", review.id))
    assert "王晓明 完成了“报送整改进展与佐证材料”" in page
    assert "已组织中心组集中学习 3 次" in page and "本项措施已整改完成" in page
    for evidence in files:
        assert f'href="/evidence/{evidence.id}"' in page and evidence.filename in page
    download = desk.browser("leader1").get(f"/evidence/{files[0].id}")
    try:
        assert download.status_code == 200 and download.data == pdf_bytes("学习记录")
    finally:
        download.close()
    assert fields_of(page) == {}  # not claimed yet: the leader reads, then claims


def test_a_returned_submission_shows_the_reason_to_the_officer(desk: Desk) -> None:
    task = submit_task(desk)
    review = approve_step(desk, task.id)
    returned = desk.post("leader1", review, {"review_decision": "return", "reason": "缺少签到记录，请补充<b>原件</b>"})
    assert returned.status_code == 303
    again = only([t for t in open_tasks(desk.sessions, stage="measure_submit") if t.item_key == task.item_key])
    page = text(desk.page("officer1", again.id))
    assert "李书记 完成了“审批整改措施”" in page and "<strong>退回</strong>" in page
    assert "缺少签到记录，请补充&lt;b&gt;原件&lt;/b&gt;" in page  # shown as typed, never as markup
    assert f'action="/tasks/{again.id}/claim"' in page  # the officer may take it up again
    assert page.index("缺少签到记录") < page.index("已组织学习")  # newest first


# -- tasks that moved on -------------------------------------------------------------------------

def test_a_task_completed_in_another_tab_says_so_and_keeps_what_was_typed(desk: Desk) -> None:
    task = submit_task(desk)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    complete_as(desk.sessions, desk.clock, task.id, "officer1", progress="第一个标签页", evidence=[])
    late = desk.post("officer1", task.id, {"progress": "第二个标签页写的内容"}, )
    assert late.status_code == 409
    page = text(late)
    assert "该任务已由 王晓明 办结" in page and "第二个标签页写的内容" in page and 'href="/"' in page
    assert desk.completions() == 1


def test_a_task_held_by_a_colleague_or_not_claimed_is_refused_with_the_input_kept(desk: Desk) -> None:
    task = submit_task(desk)
    unclaimed = desk.post("officer1", task.id, {"progress": "还没领取就填写了"})
    assert unclaimed.status_code == 409
    assert "请先领取再提交" in text(unclaimed) and "还没领取就填写了" in text(unclaimed)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    rival = desk.post("officer3", task.id, {"progress": "同事也写了一份"})
    assert rival.status_code == 403
    assert "该任务已被 王晓明 领取" in text(rival) and "同事也写了一份" in text(rival)
    assert desk.task(task.id).status == TaskStatus.OPEN and desk.completions() == 0


def test_a_foreign_or_missing_task_is_not_found(desk: Desk) -> None:
    task = submit_task(desk, unit="U1")
    for response in (desk.page("officer2", task.id), desk.post("officer2", task.id, {"progress": "x"}),
                     desk.page("officer1", 999_999)):
        assert response.status_code == 404
        assert "页面或记录不存在" in text(response) and "返回任务列表" in text(response)
        assert "理论学习不够深入" not in text(response)
    assert desk.task(task.id).status == TaskStatus.OPEN and desk.task(task.id).assignee is None


def test_a_double_submit_completes_once(desk: Desk) -> None:
    task = submit_task(desk)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    form = {"progress": "已整改", "submission_token": "double-click-token-0001"}
    first = desk.post("officer1", task.id, form)
    second = desk.post("officer1", task.id, form)
    assert first.status_code == 303
    assert second.status_code == 200 and "您的提交已经办理成功，无需重复提交。" in text(second)
    assert desk.completions() == 1
    assert len([t for t in open_tasks(desk.sessions, stage="measure_approve") if t.item_key == task.item_key]) == 1


def test_two_simultaneous_posts_of_one_form_complete_it_once(desk: Desk) -> None:
    task = submit_task(desk)
    claim_as(desk.sessions, desk.clock, task.id, "officer1")
    form = {"progress": "双击提交", "submission_token": "simultaneous-token-0001"}
    clients = [desk.app.test_client() for _ in range(2)]
    for client in clients:
        assert client.post("/login", data={"login": "officer1", "password": PASSWORD}).status_code == 302
    start = threading.Barrier(2)
    answers: list[TestResponse] = []

    def post(client: FlaskClient) -> None:
        start.wait()
        answers.append(client.post(f"/tasks/{task.id}/complete", data=form))

    threads = [threading.Thread(target=post, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200, 303]
    assert desk.completions() == 1


def test_a_forged_csrf_token_is_refused(db_engine: Engine, committing_sessions: sessionmaker[Session],
                                       tmp_path: Path) -> None:
    clock = FixedClock(START)
    app = make_test_app(db_engine, ENGINE_CLOCK=clock, WTF_CSRF_ENABLED=True,
                        EVIDENCE_DIR=str(tmp_path / "evidence"))
    running_plan(committing_sessions, clock)
    task = open_tasks(committing_sessions, stage="measure_submit", unit="U1")[0]
    claim_as(committing_sessions, clock, task.id, "officer1")
    client = app.test_client()
    login_token = csrf_of(text(client.get("/login")))
    assert client.post("/login", data={"login": "officer1", "password": PASSWORD,
                                       "csrf_token": login_token}).status_code == 302
    real = csrf_of(text(client.get(f"/tasks/{task.id}")))
    for forged in ({"csrf_token": "forged." + real[7:]}, {}):
        refused = client.post(f"/tasks/{task.id}/complete", data={"progress": "伪造的提交", **forged})
        assert refused.status_code == 400 and "页面已过期或表单无效" in text(refused)
    with committing_sessions() as session:
        assert session.get(HumanTask, task.id).status == TaskStatus.OPEN  # type: ignore[union-attr]
    accepted = client.post(f"/tasks/{task.id}/complete", data={"progress": "真实的提交", "csrf_token": real})
    assert accepted.status_code == 303


# -- cost ------------------------------------------------------------------------------------------

def test_the_page_costs_the_same_queries_however_long_the_history(desk: Desk, db_engine: Engine) -> None:
    task = submit_task(desk)
    review = approve_step(desk, task.id)
    desk.browser("leader1")  # signed in before counting
    with counted(db_engine) as short:
        assert desk.page("leader1", review).status_code == 200
    for round_ in range(3):
        complete_as(desk.sessions, desk.clock, review, "leader1", review_decision="return", reason=f"第{round_}次退回")
        again = only([t for t in open_tasks(desk.sessions, stage="measure_submit") if t.item_key == task.item_key])
        review = approve_step(desk, again.id)
    with counted(db_engine) as long:
        page = desk.page("leader1", review)
    assert page.status_code == 200 and text(page).count("第") >= 3
    assert len(long) == len(short), (len(short), len(long))
