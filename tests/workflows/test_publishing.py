"""Publishing a round's progress report: a numbered, immutable snapshot, withheld problems left out,
user text escaped, audited; the public reads only what was published."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, WorkflowEngine
from engine.models import AuditEntry
from workflows.errors import NotFoundError
from workflows.models import Publication
from workflows.publishing import PUBLISHED, other_versions, public_rounds, publication_overview, publish

from .plan_fixtures import small_plan

SUPERVISOR = Actor("ducha", groups=frozenset({"supervision"}))


def test_publishing_snapshots_the_report_without_withheld_problems_and_audits_it(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    published = publish(session, plan.round.id, SUPERVISOR, now=wf_engine.clock())

    assert (published.version, published.published_by, published.published_at) == (1, "ducha", wf_engine.clock())
    assert published.title == "中共某区委政法委员会关于巡察整改进展情况的通报"
    assert "理论学习不够深入" in published.html and "理论学习不够深入" in published.markdown
    assert "涉及在办案件" not in published.html and "按规定办理" not in published.markdown  # withheld
    assert published.html.startswith('<link rel="stylesheet" href="/static/report.css">')  # a fragment
    assert "<!DOCTYPE" not in published.html
    assert published.figures["problems"] == 3 and published.figures["withheld"] == 1
    assert published.figures["rate"] == 0
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == PUBLISHED)).one()
    assert entry.actor == "ducha"
    assert entry.detail == {"round_id": plan.round.id, "publication_id": published.id, "version": 1,
                            "problems": 3, "withheld": 1}


def test_each_publication_is_a_new_version_and_earlier_ones_stay_as_they_were(
    session: Session, wf_engine: WorkflowEngine, clock: FixedClock
) -> None:
    plan = small_plan(session, wf_engine)
    first = publish(session, plan.round.id, SUPERVISOR, now=clock())
    first_html = first.html
    plan.studying.measures[0].progress = "已召开3次中心组集中学习"
    clock.advance(days=30)
    second = publish(session, plan.round.id, SUPERVISOR, now=clock())

    assert (first.version, second.version) == (1, 2)
    assert "已召开3次中心组集中学习" in second.html
    assert session.get(Publication, first.id).html == first_html  # the snapshot did not follow the ledger
    assert "已召开3次" not in first_html
    [shown] = public_rounds(session)
    assert shown.latest.id == second.id and [v.id for v in shown.earlier] == [first.id]
    assert [v.version for v in other_versions(session, first)] == [2]
    [overview] = publication_overview(session)
    assert [p.version for p in overview.publications] == [2, 1]


def test_an_unpublished_round_never_reaches_the_public_rounds(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    assert public_rounds(session) == []
    [overview] = publication_overview(session)
    assert overview.round.id == plan.round.id and overview.publications == []


def test_user_text_is_escaped_in_the_stored_html(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    plan.studying.measures[0].text = "<script>alert('x')</script>加强学习"
    plan.studying.measures[1].progress = '<img src=x onerror="alert(1)">'
    published = publish(session, plan.round.id, SUPERVISOR, now=wf_engine.clock())

    assert "<script>" not in published.html and "<img" not in published.html
    assert "&lt;script&gt;alert(" in published.html
    assert "<script>" not in published.markdown


def test_publishing_an_unknown_round_is_refused_and_writes_nothing(session: Session, wf_engine: WorkflowEngine) -> None:
    small_plan(session, wf_engine)
    with pytest.raises(NotFoundError):
        publish(session, 987654, SUPERVISOR, now=wf_engine.clock())
    assert session.scalars(select(Publication)).all() == []
