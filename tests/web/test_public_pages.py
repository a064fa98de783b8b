"""The public page, its feedback form and supervision's publishing and triage pages, over HTTP.

Only published snapshots reach ``/public``; everything typed by people — in the ledger or in the
form — comes back escaped; bad feedback posts (100,000 characters, script tags, a filled honeypot,
one post too many) each get a clear answer and store nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from engine import Actor, HumanTask, TaskStatus
from web.config import ConfigError
from web.services import services
from workflows.models import FeedbackStatus, Problem, Publication, PublicFeedback, Role
from workflows.people import create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch
from workflows.publishing import publish
from workflows.schema import deploy_bundled

from .conftest import AuthActions, make_test_app

SCRIPT = "<script>alert('x')</script>"
ADMIN = Actor("admin", groups=frozenset({Role.ADMIN.value}))


@dataclass
class Rounds:
    published: int  # a round with one publication
    unpublished: int  # a round never published
    publication: int


def build_rounds(app: Flask) -> Rounds:
    """Two launched rounds; the first published once, with a script tag in a measure and a withheld problem."""
    found = services(app)
    engine = found.workflow_engine
    with app.app_context(), found.unit_of_work() as session:
        deploy_bundled(session, engine, actor="admin")
        unit = create_unit(session, "U1", "综治科")
        first = create_round(session, title="第一轮", at=engine.clock(), signatory="中共某区委政法委员会",
                             feedback_date=date(2025, 6, 10))
        part = add_part(session, first, "党的领导方面")
        problem = add_problem(session, part, "理论学习不够深入", lead_unit=unit)
        add_measure(session, problem, f"{SCRIPT}每两个月组织一次集中学习", units=[unit])
        secret = add_problem(session, part, "涉及在办案件的问题", lead_unit=unit, publishable=False)
        add_measure(session, secret, "按规定办理", units=[unit])
        launch(session, engine, first, ADMIN)
        second = create_round(session, title="第二轮", at=engine.clock(), signatory="未公布单位党委")
        other = add_problem(session, add_part(session, second, "作风建设方面"), "尚未公布的问题XYZ", lead_unit=unit)
        add_measure(session, other, "尚未公布的措施XYZ", units=[unit])
        launch(session, engine, second, ADMIN)
        publication = publish(session, first.id, Actor("ducha", groups=frozenset({"supervision"})),
                              now=engine.clock())
        return Rounds(first.id, second.id, publication.id)


def feedback_count(app: Flask) -> int:
    with services(app).unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(PublicFeedback)) or 0


@pytest.fixture
def rounds(app: Flask) -> Rounds:
    return build_rounds(app)


def test_the_public_page_shows_only_what_was_published_escaped(client: FlaskClient, rounds: Rounds) -> None:
    page = client.get("/public")
    html = page.get_data(as_text=True)
    assert page.status_code == 200  # no sign-in needed
    assert "中共某区委政法委员会关于巡察整改进展情况的通报" in html and "理论学习不够深入" in html
    assert SCRIPT not in html and "&lt;script&gt;alert(" in html
    assert "涉及在办案件" not in html  # withheld
    assert "XYZ" not in html and "第二轮" not in html and "未公布单位党委" not in html  # never published
    assert 'name="website"' in html and 'id="feedback"' in html

    one = client.get(f"/public/{rounds.publication}")
    assert one.status_code == 200 and "理论学习不够深入" in one.get_data(as_text=True)
    assert client.get("/public/999999").status_code == 404


def test_the_public_page_shows_a_snapshot_not_the_live_ledger(app: Flask, client: FlaskClient, rounds: Rounds) -> None:
    with services(app).unit_of_work() as session:
        assert session.get(Publication, rounds.publication) is not None
        problem = session.scalars(select(Problem).where(Problem.title == "理论学习不够深入")).one()
        problem.title = "改名后的问题ABC"
    html = client.get("/public").get_data(as_text=True)
    assert "理论学习不够深入" in html and "ABC" not in html


def test_feedback_is_accepted_with_a_thank_you_and_its_triage_task_started(
    app: Flask, client: FlaskClient, rounds: Rounds
) -> None:
    response = client.post("/public/feedback", data={"name": SCRIPT, "contact": SCRIPT, "text": SCRIPT,
                                                     "publication_id": str(rounds.publication)})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/public/{rounds.publication}?sent=1#feedback")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "感谢您的意见建议" in thanks
    with services(app).unit_of_work() as session:
        feedback = session.scalars(select(PublicFeedback)).one()
        assert (feedback.text, feedback.name, feedback.contact) == (SCRIPT, SCRIPT, SCRIPT)  # stored as typed
        assert feedback.publication_id == rounds.publication and feedback.status == FeedbackStatus.NEW
        task = session.scalars(select(HumanTask).where(HumanTask.instance_id == feedback.instance_id)).one()
        assert task.status == TaskStatus.OPEN and task.candidate_group == "supervision"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"text": ""}, "请填写意见建议内容。"),
        ({"text": "长" * 2001, "name": SCRIPT}, "意见建议内容不能超过 2000 个字。"),
        ({"text": "好", "name": "名" * 51}, "姓名不能超过 50 个字。"),
    ],
)
def test_a_refused_post_shows_the_form_again_with_what_was_typed_escaped(
    app: Flask, client: FlaskClient, rounds: Rounds, data: dict[str, str], message: str
) -> None:
    response = client.post("/public/feedback", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and message in html
    assert SCRIPT not in html
    if data.get("name") == SCRIPT:
        assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html  # kept, escaped
    if len(data["text"]) == 2001:
        assert data["text"] in html  # the text is kept for correcting
    assert feedback_count(app) == 0


def test_a_hundred_thousand_characters_are_refused_clearly_before_being_read(
    app: Flask, client: FlaskClient, rounds: Rounds
) -> None:
    response = client.post("/public/feedback", data={"text": "长" * 100_000})
    html = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "提交的内容过长" in html and 'id="feedback"' in html  # the page with the form, not a bare 413
    assert feedback_count(app) == 0


def test_a_filled_honeypot_is_thanked_and_nothing_is_stored(app: Flask, client: FlaskClient, rounds: Rounds) -> None:
    response = client.post("/public/feedback", data={"text": "买药请联系", "website": "http://spam.example"})
    assert response.status_code == 303
    assert "感谢您的意见建议" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert feedback_count(app) == 0


def test_the_rate_limit_refuses_the_next_post_with_a_message_and_stores_nothing(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    app = make_test_app(db_engine, FEEDBACK_RATE_LIMIT=2)
    build_rounds(app)
    client = app.test_client()
    for n in range(2):
        assert client.post("/public/feedback", data={"text": f"意见{n}"}).status_code == 303
    refused = client.post("/public/feedback", data={"text": "第三条意见"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 429 and "您提交得过于频繁" in html and "第三条意见" in html
    assert feedback_count(app) == 2


def test_a_bad_feedback_setting_stops_the_start_up(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    with pytest.raises(ConfigError, match="FEEDBACK_RATE_LIMIT"):
        make_test_app(db_engine, FEEDBACK_RATE_LIMIT=0)


def test_supervision_publishes_a_new_version_and_sees_it_listed(
    app: Flask, client: FlaskClient, auth: AuthActions, rounds: Rounds
) -> None:
    auth.create("ducha", "赵督查", roles=(Role.SUPERVISION,))
    auth.login("ducha")
    page = client.get("/publish").get_data(as_text=True)
    assert "第一轮" in page and "第二轮" in page and "尚未公布" in page
    response = client.post(f"/publish/{rounds.unpublished}")
    assert response.status_code == 303
    listed = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "已公布“未公布单位党委关于巡察整改进展情况的通报”第 1 版。" in listed
    assert "尚未公布的问题XYZ" in client.get("/public").get_data(as_text=True)
    assert client.post("/publish/999999").status_code == 404


def test_supervision_claims_and_replies_from_the_triage_page(
    app: Flask, client: FlaskClient, auth: AuthActions, rounds: Rounds
) -> None:
    assert app.test_client().post("/public/feedback", data={"text": SCRIPT + "建议"}).status_code == 303
    auth.create("ducha", "赵督查", roles=(Role.SUPERVISION,))
    auth.login("ducha")
    with services(app).unit_of_work() as session:
        feedback_id = session.scalars(select(PublicFeedback.id)).one()
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.stage == "feedback_triage")).one()
    assert f"/publish/feedback/{feedback_id}" in client.get("/publish").get_data(as_text=True)
    page = client.get(f"/publish/feedback/{feedback_id}").get_data(as_text=True)
    assert SCRIPT not in page and "&lt;script&gt;" in page and "认领" in page
    inbox = client.get("/").get_data(as_text=True)
    assert "意见建议处理" in inbox  # the task waits in supervision's inbox
    client.post(f"/tasks/{task_id}/claim", data={"next": f"/publish/feedback/{feedback_id}"})

    refused = client.post(f"/publish/feedback/{feedback_id}", data={"decision": "reply", "reply": ""})
    assert refused.status_code == 422 and "请填写答复内容" in refused.get_data(as_text=True)
    done = client.post(f"/publish/feedback/{feedback_id}", data={"decision": "reply", "reply": f"已收悉{SCRIPT}"})
    assert done.status_code == 303
    shown = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "已处理：已答复。" in shown and "已收悉&lt;script&gt;" in shown
    again = client.post(f"/publish/feedback/{feedback_id}", data={"decision": "dismiss", "reason": "x"})
    assert again.status_code == 409 and "已被处理" in again.get_data(as_text=True)
    with services(app).unit_of_work() as session:
        feedback = session.get(PublicFeedback, feedback_id)
        assert feedback is not None and feedback.status == FeedbackStatus.REPLIED
        assert feedback.reply == f"已收悉{SCRIPT}" and feedback.handled_by == "ducha"


def test_the_oversize_refusal_holds_with_csrf_checks_on(
    db_engine: Engine, committing_sessions: sessionmaker[Session]
) -> None:
    """With CSRF on, the token check reads the form: the size limit must already apply, and the
    answer is still the page with the form."""
    app = make_test_app(db_engine, WTF_CSRF_ENABLED=True)
    build_rounds(app)
    response = app.test_client().post("/public/feedback", data={"text": "a" * 100_000})
    assert response.status_code == 413 and "提交的内容过长" in response.get_data(as_text=True)
    assert feedback_count(app) == 0


def test_the_public_pages_speak_english_too(client: FlaskClient, rounds: Rounds) -> None:
    html = client.get("/public?lang=en").get_data(as_text=True)
    assert "Rectification progress reports" in html and "Your opinion" in html


def test_the_generic_task_page_sends_the_triage_task_to_its_page_and_cannot_complete_it(
    app: Flask, client: FlaskClient, auth: AuthActions, rounds: Rounds
) -> None:
    """Only the triage page decides (it applies the decision): the inbox's link to the task lands there,
    and the generic completion is refused."""
    assert client.post("/public/feedback", data={"text": "建议"}).status_code == 303
    auth.create("ducha", "赵督查", roles=(Role.SUPERVISION,))
    auth.login("ducha")
    with services(app).unit_of_work() as session:
        task_id = session.scalars(select(HumanTask.id).where(HumanTask.stage == "feedback_triage")).one()
    assert client.post(f"/tasks/{task_id}/claim").status_code == 302
    with services(app).unit_of_work() as session:
        feedback_id = session.scalars(select(PublicFeedback.id)).one()
    page = client.get(f"/tasks/{task_id}")
    assert (page.status_code, page.headers["Location"]) == (302, f"/publish/feedback/{feedback_id}")
    refused = client.post(f"/tasks/{task_id}/complete", data={"decision": "dismiss", "reason": "x"})
    assert refused.status_code == 422
    with services(app).unit_of_work() as session:
        task = session.get(HumanTask, task_id)
        assert task is not None and task.status == TaskStatus.OPEN
        assert session.scalars(select(PublicFeedback.status)).one() == FeedbackStatus.NEW
