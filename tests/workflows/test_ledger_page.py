"""The ledger page's service: the SQL statuses and colours agree with the ledger's own (``derive``,
``workflows.warnings``) at every stage of a problem's life; filters, counters and paging work on
them; the rows are the ledger's rows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine import Actor, HumanTask, TaskStatus
from workflows import tasks as task_service
from workflows.deadlines import china_date
from workflows.flags import flag
from workflows.ledger import ledger_rows
from workflows.ledger_page import LedgerFilters, ledger_page, parse_filters, view_measure_ids
from workflows.ledger_page_cache import ViewCache
from workflows.ledger_page_status import measure_table, problem_table
from workflows.models import ProblemStatus as S
from workflows.models import Role
from workflows.people import actor_for, create_person, create_unit
from workflows.plans import add_measure, add_part, add_problem, create_round, launch
from workflows.report import build_report
from workflows.stages import Stage
from workflows.warnings import WarningColour

from ..conftest import BPMN_DIR

WINDOW = 10
SUPERVISION = Actor("ducha", groups=frozenset({Role.SUPERVISION.value}))


@pytest.fixture
def plan(session, wf_engine, clock):
    wf_engine.deploy(session, (BPMN_DIR / "rectification.bpmn").read_bytes(), "rectification.bpmn", actor="admin")
    office, school = create_unit(session, "BGS", "办公室"), create_unit(session, "XX", "学校")
    people = {
        "officer": create_person(session, login="bgs", name="王敏", password="password1", roles=[Role.OFFICER],
                                 unit=office),
        "teacher": create_person(session, login="xx", name="刘老师", password="password1", roles=[Role.OFFICER],
                                 unit=school),
        "leader": create_person(session, login="shuji", name="李书记", password="password1", roles=[Role.LEADER]),
        "supervisor": create_person(session, login="ducha", name="赵督查", password="password1",
                                    roles=[Role.SUPERVISION]),
    }
    round_ = create_round(session, title="测试轮次", at=clock())
    first, second = add_part(session, round_, "基层党组织建设方面"), add_part(session, round_, "作风建设方面")
    today = clock().date()
    problems = {}
    for name, part, long_term in (("normal", first, False), ("long_term", first, True), ("quiet", second, False),
                                  ("mixed", second, False)):
        problems[name] = add_problem(session, part, f"问题{name}", long_term=long_term, leader=people["leader"],
                                     lead_unit=office)
    for days in (10, 40):
        add_measure(session, problems["normal"], f"措施{days}", deadline=today + timedelta(days=days), units=[office])
    add_measure(session, problems["long_term"], "长期措施", deadline=today + timedelta(days=90), units=[office])
    add_measure(session, problems["quiet"], "学校措施 100%_x", deadline=today + timedelta(days=60), units=[school])
    add_measure(session, problems["mixed"], "办公室的措施", deadline=today + timedelta(days=5), units=[office])
    add_measure(session, problems["mixed"], "学校的措施", deadline=today + timedelta(days=70), units=[school])
    launch(session, wf_engine, round_, actor_for(people["supervisor"]))
    problems["unlaunched"] = add_problem(session, second, "未启动的问题", leader=people["leader"], lead_unit=school)
    add_measure(session, problems["unlaunched"], "未启动的措施", deadline=today + timedelta(days=3), units=[school])
    return {"round": round_, **problems, **{k: actor_for(v) for k, v in people.items()}}


def do(session, engine, problem, stage, actor, **data):
    tasks = session.scalars(select(HumanTask).where(HumanTask.instance_id == problem.instance_id,
                                                    HumanTask.stage == stage,
                                                    HumanTask.status == TaskStatus.OPEN)).all()
    if stage == Stage.MEASURE_SUBMIT:  # an officer reports on their own unit's measures only
        tasks = [t for t in tasks if t.candidate_unit in actor.units]
    assert tasks, stage
    for task in tasks:
        task_service.claim(session, engine, task.id, actor)
        task_service.complete(session, engine, task.id, actor, data)


def assert_sql_agrees(session, round_, now):
    """Every problem's and measure's status, and every problem's colour, the same both ways."""
    session.expire_all()
    rows = ledger_rows(session, round_, now=now, window_days=WINDOW)
    measures = {m: s for m, s in session.execute(select(measure_table(round_.id).c["measure_id", "status"]))}
    table = problem_table(round_.id, today=china_date(now), window_days=WINDOW)
    problems = {p: (s, c) for p, s, c in session.execute(select(table.c["problem_id", "status", "colour"]))}
    for row in rows:
        assert measures[row.measure_id] == row.status.name, row.number
        colour = row.problem_warning.colour.value if row.problem_warning else None
        assert problems[row.problem_id] == (row.problem_status.name, colour), row.number
    return {row.problem: row.problem_status for row in rows}


def test_sql_statuses_and_colours_agree_with_the_ledger_through_a_whole_life(session, wf_engine, clock, plan):
    round_, normal, long_term = plan["round"], plan["normal"], plan["long_term"]
    got = assert_sql_agrees(session, round_, clock())
    assert got["问题normal"] == S.PENDING and got["未启动的问题"] == S.NOT_STARTED
    do(session, wf_engine, plan["mixed"], Stage.MEASURE_SUBMIT, plan["officer"], progress="部分整改")
    flag(session, plan["quiet"], reason="进度滞后", deadline=clock().date() + timedelta(days=2), actor=SUPERVISION,
         at=clock())
    assert_sql_agrees(session, round_, clock())
    clock.advance(days=11)  # the first measure's deadline passes
    wf_engine.fire_due_timers(session, clock())
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.OVERDUE
    do(session, wf_engine, normal, Stage.MEASURE_SUBMIT, plan["officer"], progress="已整改")
    do(session, wf_engine, long_term, Stage.MEASURE_SUBMIT, plan["officer"], progress="机制建立")
    assert_sql_agrees(session, round_, clock())
    do(session, wf_engine, normal, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    do(session, wf_engine, long_term, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    got = assert_sql_agrees(session, round_, clock())
    assert got["问题normal"] == S.AWAITING_VERIFICATION and got["问题long_term"] == S.LONG_TERM
    do(session, wf_engine, normal, Stage.VERIFY, plan["supervisor"], verify_decision="fail", reason="材料不全",
       new_deadline=(clock().date() + timedelta(days=20)).isoformat())
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.PENDING
    do(session, wf_engine, normal, Stage.MEASURE_SUBMIT, plan["officer"], progress="补充材料")
    do(session, wf_engine, normal, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    do(session, wf_engine, normal, Stage.VERIFY, plan["supervisor"], verify_decision="pass")
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.CLOSED
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.LOOK_BACK
    do(session, wf_engine, normal, Stage.LOOKBACK, plan["supervisor"], lookback_decision="rebound",
       reason="问题反弹", new_deadline=(clock().date() + timedelta(days=30)).isoformat())
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.REOPENED
    do(session, wf_engine, normal, Stage.MEASURE_SUBMIT, plan["officer"], progress="再次整改")
    assert_sql_agrees(session, round_, clock())
    do(session, wf_engine, normal, Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    do(session, wf_engine, normal, Stage.VERIFY, plan["supervisor"], verify_decision="pass")
    clock.advance(days=200)
    wf_engine.fire_due_timers(session, clock())
    do(session, wf_engine, normal, Stage.LOOKBACK, plan["supervisor"], lookback_decision="consolidated")
    assert assert_sql_agrees(session, round_, clock())["问题normal"] == S.CONSOLIDATED


def page(session, plan, clock, actor=SUPERVISION, page_size=50, cache=None, **filters):
    return ledger_page(session, actor, LedgerFilters(round_id=plan["round"].id, **filters), now=clock(),
                       window_days=WINDOW, page_size=page_size, cache=cache)


def titles(found):
    return [block.head.problem for block in found.problems]


def test_filters_search_counters_and_paging(session, wf_engine, clock, plan):
    everything = page(session, plan, clock)
    assert titles(everything) == ["问题normal", "问题long_term", "问题quiet", "问题mixed", "未启动的问题"]
    assert (everything.stats.problems, everything.stats.measures, everything.stats.parts) == (5, 7, 2)
    assert (everything.stats.completed, everything.stats.long_term, everything.stats.in_progress) == (0, 1, 4)
    second_part = ["问题quiet", "问题mixed", "未启动的问题"]
    assert titles(page(session, plan, clock, part_id=plan["quiet"].part_id)) == second_part
    assert titles(page(session, plan, clock, status=S.NOT_STARTED)) == ["未启动的问题"]
    assert titles(page(session, plan, clock, colour=WarningColour.BLUE)) == ["问题long_term"]
    assert titles(page(session, plan, clock, colour=WarningColour.YELLOW)) == ["问题normal", "问题mixed",
                                                                               "未启动的问题"]
    assert titles(page(session, plan, clock, q="100%_x")) == ["问题quiet"]  # wildcards are plain text
    assert titles(page(session, plan, clock, q="%")) == ["问题quiet"]
    assert titles(page(session, plan, clock, q="LONG_TERM")) == ["问题long_term"]  # title, any case
    by_unit = page(session, plan, clock, unit="XX")
    assert titles(by_unit) == ["问题quiet", "问题mixed", "未启动的问题"]
    assert [r.measure for r in by_unit.problems[1].rows] == ["学校的措施"]  # only the unit's rows
    assert (by_unit.stats.problems, by_unit.stats.measures) == (3, 3)
    second = page(session, plan, clock, page_size=2, page=2)
    assert titles(second) == ["问题quiet", "问题mixed"] and second.pages == 3 and second.matching == 5
    assert page(session, plan, clock, page_size=2, page=99).page == 3  # past the end: the last page


def test_a_cached_view_follows_the_data(session, wf_engine, clock, plan):
    cache = ViewCache()
    kept = page(session, plan, clock, cache=cache, status=S.DONE)
    assert titles(kept) == [] and page(session, plan, clock, cache=cache, status=S.DONE).stats == kept.stats
    do(session, wf_engine, plan["mixed"], Stage.MEASURE_SUBMIT, plan["officer"], progress="已整改")
    do(session, wf_engine, plan["mixed"], Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    assert titles(page(session, plan, clock, cache=cache, status=S.DONE)) == ["问题mixed"]
    for actor, filters in ((SUPERVISION, {}), (plan["teacher"], {}), (SUPERVISION, {"unit": "BGS", "q": "措施"}),
                           (SUPERVISION, {"colour": WarningColour.YELLOW})):
        cached, fresh = page(session, plan, clock, actor, cache=cache, **filters), page(session, plan, clock, actor,
                                                                                         **filters)
        assert (cached.stats, titles(cached)) == (fresh.stats, titles(fresh)), filters
    paged = [titles(page(session, plan, clock, cache=cache, page_size=2, page=n)) for n in (1, 2, 3)]
    assert paged == [["问题normal", "问题long_term"], ["问题quiet", "问题mixed"], ["未启动的问题"]]


def test_officers_see_their_own_units_rows_and_counters(session, clock, plan):
    teacher = page(session, plan, clock, actor=plan["teacher"])
    assert titles(teacher) == ["问题quiet", "问题mixed", "未启动的问题"]
    rows = [r.measure for block in teacher.problems for r in block.rows]
    assert rows == ["学校措施 100%_x", "学校的措施", "未启动的措施"]
    assert (teacher.stats.problems, teacher.stats.measures) == (3, 3)
    assert titles(page(session, plan, clock, actor=plan["teacher"], q="办公室")) == []  # hidden text finds nothing
    outsider = Actor("nobody", groups=frozenset())
    assert page(session, plan, clock, actor=outsider).problems == []


def test_the_downloads_rows_and_the_reports_counts_match_the_page(session, wf_engine, clock, plan):
    do(session, wf_engine, plan["mixed"], Stage.MEASURE_SUBMIT, plan["officer"], progress="已整改")
    do(session, wf_engine, plan["mixed"], Stage.MEASURE_APPROVE, plan["leader"], review_decision="approve")
    for actor, filters in ((SUPERVISION, {}), (plan["teacher"], {}), (SUPERVISION, {"unit": "BGS"}),
                           (SUPERVISION, {"status": S.DONE})):
        shown = page(session, plan, clock, actor=actor, **filters)
        round_, ids = view_measure_ids(session, actor, LedgerFilters(round_id=plan["round"].id, **filters),
                                       now=clock(), window_days=WINDOW)
        assert ids == {r.measure_id for block in shown.problems for r in block.rows}
        assert build_report(session, round_, measure_ids=ids).stats == shown.stats, (actor, filters)


def test_parse_filters_keeps_what_it_understands():
    filters, bad = parse_filters({"round": "3", "part": "x", "status": "overdue", "colour": "purple", "q": "  a  b ",
                                  "page": "-1", "unit": "BGS"})
    assert (filters.round_id, filters.part_id, filters.status, filters.colour, filters.q, filters.page,
            filters.unit) == (3, None, S.OVERDUE, None, "a b", 1, "BGS")
    assert bad == ["colour", "page", "part"]
    assert parse_filters({"status": "Overdue"})[1] == ["status"]
    assert parse_filters({"status": "in_progress"})[0].status == S.IN_PROGRESS
