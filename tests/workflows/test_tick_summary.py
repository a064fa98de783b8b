"""A timer that fails is told by the problem it belongs to, its attempt and its one-line error."""

from __future__ import annotations

from pathlib import Path

from engine import Actor, FixedClock, WorkflowEngine
from engine.runtime import MAX_TIMER_ATTEMPTS
from workflows.plans import add_part, add_problem, create_round
from workflows.tick_summary import mark_before_tick, summarise_tick, tick_lines

POISON = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "poison_date.bpmn"


def tick(session, wf_engine: WorkflowEngine, clock: FixedClock) -> list[str]:
    before = mark_before_tick(session, clock())
    return tick_lines(summarise_tick(session, before, wf_engine.fire_due_timers(session, clock())))


def test_a_failing_timer_is_one_line_naming_the_problem_until_it_becomes_an_incident(session, wf_engine, clock):
    wf_engine.deploy_path(session, POISON, actor="admin")
    round_ = create_round(session, title="定时器失败", at=clock())
    part = add_part(session, round_, "方面")
    add_part(session, round_, "第二方面")
    problem = add_problem(session, round_.parts[1], "台账更新不及时")
    add_problem(session, part, "其他问题")
    # The problem's lifecycle here is a diagram whose second timer has an impossible date.
    problem.instance_id = wf_engine.start(session, "poison_date", {"when": "1900-01-01"}, actor=Actor("admin")).id
    wf_engine.start(session, "poison_date", {"when": "2026-03-01T00:00:00+00:00"}, actor=Actor("admin"))
    session.flush()
    assert tick(session, wf_engine, clock) == ["timers fired: none due"]

    clock.advance(days=1, hours=1)
    first = tick(session, wf_engine, clock)
    assert first[0] == "timers fired: 1 problem(s) advanced, 1 failed"  # the healthy instance moved on
    assert first[1].startswith(f"  失败：2.1 台账更新不及时 — attempt 1 of {MAX_TIMER_ATTEMPTS}: ")
    assert "'Timer_date'" in first[1] and "before 1970" in first[1] and len(first) == 2
    assert "instance" not in "".join(first)  # told by its number, not by engine ids

    for attempt in range(2, MAX_TIMER_ATTEMPTS + 1):
        clock.advance(minutes=1)
        [head, line] = tick(session, wf_engine, clock)
        assert head == "timers fired: 0 problem(s) advanced, 1 failed"
        assert f"attempt {attempt} of {MAX_TIMER_ATTEMPTS}" in line
    assert "; an incident now, for an administrator: " in line
    clock.advance(minutes=1)
    assert tick(session, wf_engine, clock) == ["timers fired: none due"]  # an incident waits for a person
