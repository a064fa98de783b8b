"""Importing a parsed plan into the database, and filling in what the document left out."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import InstanceStatus, ProcessInstance, WorkflowEngine
from workflows.errors import NotFoundError, ValidationError
from workflows.models import Role
from workflows.people import create_person, create_unit, unit_by_name
from workflows.plan_import import ParsedPart, ParsedPlan, ParsedProblem, fill_in, import_plan, parse_file, parse_text
from workflows.plans import round_problems

from ..conftest import SEED
from ..lifecycle_helpers import deploy_lifecycle
from .plan_fixtures import ADMIN, FIXTURES, PASSWORD, import_seed, plan_counts


def test_seed_becomes_a_launched_round_with_every_part_problem_and_measure(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    parsed = parse_file(SEED)
    result = import_seed(session, wf_engine)
    round_ = result.round
    problems = round_problems(round_)

    assert (len(round_.parts), len(problems), sum(len(p.measures) for p in problems)) == (10, 25, 55)
    assert result.launched == 25 and result.warnings == []
    assert [part.title for part in round_.parts] == [part.title for part in parsed.parts]
    assert [p.title for p in problems] == [p.title for p in parsed.iter_problems()]
    assert [m.text for p in problems for m in p.measures] == [m.text for m in parsed.iter_measures()]
    assert round_.parts[7].problems[0].title == "党建工作重视不够"
    instances = session.scalar(select(func.count()).select_from(ProcessInstance).where(
        ProcessInstance.id.in_([p.instance_id for p in problems]),
        ProcessInstance.status == InstanceStatus.RUNNING))
    assert instances == 25


def test_seed_metadata_sections_and_contacts_are_kept_on_the_round(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    existing = create_unit(session, "ZFW", "海珠区委政法委")
    round_ = import_seed(session, wf_engine, launch_it=False).round

    assert round_.title == "广州市区委巡察第8组对海珠区委政法委巡察反馈意见整改"
    assert round_.inspected_unit is existing  # found by name, not created again
    assert (round_.period_start, round_.period_end, round_.feedback_date) == (
        date(2020, 8, 24), date(2020, 9, 25), date(2020, 10, 21))
    assert round_.signatory == "中共广州市海珠区委政法委员会"
    assert round_.contacts["email"] == "gzhzq12345@126.com"
    assert round_.sections["organisation"][0].startswith("一、提高政治站位")
    assert round_.sections["mechanism"][0].startswith("三、持续整改落实")
    assert round_.source_name == SEED.name
    assert all(p.instance_id is None for p in round_problems(round_))


def test_an_unknown_inspected_unit_is_created_with_a_generated_code(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    round_ = import_seed(session, wf_engine, launch_it=False).round
    unit = unit_by_name(session, "海珠区委政法委")
    assert unit is not None and round_.inspected_unit is unit and unit.code.startswith("U")


def test_owners_are_resolved_by_name_and_unknown_names_become_warnings(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    office = create_unit(session, "BGS", "办公室")
    wang = create_person(session, login="wang", name="王某某", password=PASSWORD, roles=[Role.LEADER])
    result = import_plan(session, wf_engine, parse_file(FIXTURES / "v2_labelled_fields.txt"), actor=ADMIN,
                         at=wf_engine.clock(), launch_it=False)
    first = result.round.parts[0].problems[0]

    assert first.responsible_leader is wang and first.lead_unit is office
    assert [u.name for u in first.measures[0].responsible_units] == ["办公室"]
    assert first.measures[0].deadline == date(2023, 12, 31)
    assert first.measures[0].deadline_text == "2023年12月底前"
    assert unit_by_name(session, "法规审理科") is None  # never invented
    assert "measure 1.1.1: unknown responsible unit '法规审理科' (kept as text)" in result.warnings
    assert "measure 1.2.1: no person named '李某某' (leader left empty)" in result.warnings
    assert result.round.sections["unresolved"]["1.1.1"] == {"units": ["法规审理科"]}
    long_term = result.round.parts[1].problems[0]
    assert long_term.long_term and long_term.measures[0].deadline_text == "长期坚持"


def test_a_problem_without_measures_leaves_the_round_unlaunched(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    deploy_lifecycle(session, wf_engine)
    parsed = parse_text("第一部分 党的领导方面\n1.针对学习不深入问题。\n一是加强学习。二是完善制度。\n")
    empty = ParsedProblem("会议过多", "1.会议过多。", 1)
    parsed.parts.append(ParsedPart("作风方面", "第二部分 作风方面", 2, [empty]))
    result = import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock())

    assert result.launched == 0
    assert result.warnings == ["not launched: problem(s) 2.1 have no measures"]
    assert all(p.instance_id is None for p in round_problems(result.round))


def test_launching_needs_the_deployed_lifecycle(session: Session, wf_engine: WorkflowEngine) -> None:
    with pytest.raises(ValidationError, match="not deployed"):
        import_plan(session, wf_engine, parse_file(SEED), actor=ADMIN, at=wf_engine.clock())


def test_an_implicit_part_gets_a_title(session: Session, wf_engine: WorkflowEngine) -> None:
    parsed = ParsedPlan(parts=[ParsedPart("", "", 1, [ParsedProblem("会议过多", "1.会议过多。", 1)])])
    result = import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock(), launch_it=False)
    assert result.round.parts[0].title == "反馈问题"
    assert result.round.title == "text整改方案"


def test_fill_in_completes_a_measure_and_its_problem(session: Session, wf_engine: WorkflowEngine) -> None:
    create_unit(session, "BGS", "办公室")
    law = create_unit(session, "FG", "法规审理科")
    li = create_person(session, login="li", name="李某某", password=PASSWORD, roles=[Role.LEADER])
    round_ = import_plan(session, wf_engine, parse_file(FIXTURES / "v2_labelled_fields.txt"), actor=ADMIN,
                         at=wf_engine.clock(), launch_it=False).round

    result = fill_in(session, round_, "1.2.1", deadline=date(2024, 5, 31), leader_login="li",
                     lead_unit="法规审理科", units="办公室、法规审理科", at=wf_engine.clock())
    measure = result.measure
    assert (measure.deadline, measure.deadline_text) == (date(2024, 5, 31), None)
    assert measure.responsible_leader is li and measure.lead_unit is law
    assert [u.name for u in measure.responsible_units] == ["办公室", "法规审理科"]
    assert measure.problem.responsible_leader is li  # the problem had no leader: it takes this one
    assert result.warnings == []
    assert "1.2.1" not in round_.sections.get("unresolved", {})

    fill_in(session, round_, "1.1.1", units=["办公室", "法规审理科"])
    assert round_.sections["unresolved"]["1.1.1"] == {"leader": "王某某"}  # the units are done


def test_fill_in_refuses_unknown_names_and_numbers(session: Session, wf_engine: WorkflowEngine) -> None:
    round_ = import_seed(session, wf_engine, launch_it=False).round
    with pytest.raises(ValidationError, match="no person with login 'nobody'"):
        fill_in(session, round_, "1.1.1", leader_login="nobody")
    with pytest.raises(ValidationError, match="unknown unit"):
        fill_in(session, round_, "1.1.1", units="不存在的科")
    with pytest.raises(ValidationError, match="ledger number"):
        fill_in(session, round_, "1-1", deadline=date(2024, 1, 1))
    with pytest.raises(NotFoundError, match="no measure 11.1.1"):
        fill_in(session, round_, "11.1.1", deadline=date(2024, 1, 1))
    with pytest.raises(ValidationError, match="nothing to fill in"):
        fill_in(session, round_, "1.1.1")
    assert round_.parts[0].problems[0].measures[0].deadline is None


def test_fill_in_on_a_running_problem_warns_that_the_lifecycle_keeps_its_start_data(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    round_ = import_seed(session, wf_engine).round
    result = fill_in(session, round_, "3.2.1", deadline=date(2026, 6, 30), at=wf_engine.clock())
    assert result.measure.deadline == date(2026, 6, 30)
    assert result.warnings and "problem 3.2 is already running" in result.warnings[0]


def test_fill_in_moves_the_running_lifecycle_deadline_and_owner(
    session: Session, wf_engine: WorkflowEngine, clock
) -> None:
    from engine import HumanTask, TaskStatus, Timer
    from workflows.people import create_unit

    round_ = import_seed(session, wf_engine).round
    create_unit(session, "FZK", "法治科")
    result = fill_in(session, round_, "3.2.1", deadline=date(2026, 6, 30), units=["法治科"],
                     engine=wf_engine, actor=ADMIN)
    assert "running lifecycle updated" in result.changed and not result.warnings
    measure = result.measure
    [task] = session.scalars(select(HumanTask).where(HumanTask.item_key == measure.item_key,
                                                     HumanTask.status == TaskStatus.OPEN)).all()
    assert task.candidate_unit == "FZK"
    assert task.due_at is not None and task.due_at.date() == date(2026, 6, 30)
    timers = session.scalars(select(Timer).where(Timer.instance_id == measure.problem.instance_id,
                                                 Timer.bpmn_id == "Timer_measure_deadline")).all()
    assert date(2026, 6, 30) in {t.due_at.date() for t in timers}
    # The moved deadline fires when it passes, not at the old (absent) one.
    assert wf_engine.fire_due_timers(session, datetime(2026, 6, 29, tzinfo=UTC)) == []
    assert wf_engine.fire_due_timers(session, datetime(2026, 7, 1, tzinfo=UTC)) == [measure.problem.instance_id]


def test_a_failed_import_leaves_nothing_behind(session: Session, wf_engine: WorkflowEngine) -> None:
    parsed = parse_file(SEED)
    parsed.meta.period_start, parsed.meta.period_end = date(2020, 9, 25), date(2020, 8, 24)
    before = plan_counts(session)
    with pytest.raises(ValidationError, match="ends before it starts"):
        import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock(), launch_it=False)
    assert plan_counts(session) == before  # not even the inspected unit it had created
