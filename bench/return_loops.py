"""Benchmark: does a step get slower after a measure has gone round the return loop many times?

One rectification instance has one measure submitted (``Task_submit_progress``) and returned
(``Task_approve_measure``, review_decision "return") ``--loops`` times, every claim and every
completion its own committed unit of work, as in the inbox. Then a fresh instance is started
and the same number of steps is timed on both, in alternating blocks so that the shared
machine's noise falls on both alike. The figure is the ratio of ms per step, old / fresh.

    python bench/return_loops.py [--loops 1000] [--steps 50]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lifecycle import (  # noqa: E402
    DIAGRAM,
    LEADER,
    OFFICER,
    START,
    SUPERVISOR,
    postgres_database,
    problem_data,
)

from engine import Actor, FixedClock, HumanTask, ProcessInstance, TaskStatus, WorkflowEngine  # noqa: E402
from engine.db import Base, make_engine, make_session_factory  # noqa: E402
from engine.models import AuditEntry  # noqa: E402
from workflows.forms import validate  # noqa: E402

# The loop, answered as the web would (validated by the task's form): progress, then a return.
ANSWERS: dict[str, tuple[Actor, dict]] = {
    "Task_submit_progress": (OFFICER, {"progress": "partly done", "evidence": []}),
    "Task_approve_measure": (LEADER, {"review_decision": "return", "reason": "evidence missing"}),
}
BLOCK = 10  # steps per timed block; old and fresh alternate block by block


@dataclass
class Looping:
    """One instance whose first measure goes round the return loop."""

    instance_id: int
    item_key: str
    seconds: list[float] = field(default_factory=list)


def step(s: Session, engine: WorkflowEngine, looping: Looping) -> float:
    """Find the measure's open task, claim it, complete it: three committed units; seconds taken."""
    began = time.perf_counter()
    task = s.scalars(select(HumanTask).where(HumanTask.instance_id == looping.instance_id,
                                             HumanTask.item_key == looping.item_key,
                                             HumanTask.status == TaskStatus.OPEN)).one()
    task_id, actor, answer = task.id, *ANSWERS[task.bpmn_id]
    data = validate(task.form_key, answer)
    s.commit()
    engine.claim(s, task_id, actor)
    s.commit()
    engine.complete(s, task_id, actor, data)
    s.commit()
    return time.perf_counter() - began


def start(s: Session, engine: WorkflowEngine, problem: int) -> Looping:
    data = problem_data(problem)
    instance_id = engine.start(s, "rectification", data, actor=SUPERVISOR).id
    s.commit()
    return Looping(instance_id, f"measure:{data['measures'][0]['id']}")


def run(url: str, loops: int, steps: int, cache_size: int) -> dict[str, Any]:
    """ms per step: fresh at first, after ``loops`` return loops, and a fresh instance beside it."""
    db = make_engine(url)
    Base.metadata.create_all(db)
    sessions = make_session_factory(db)
    engine = WorkflowEngine(clock=FixedClock(START), cache_size=cache_size)
    with sessions() as s:
        engine.deploy_path(s, DIAGRAM, actor="bench")
        s.commit()
        old = start(s, engine, 1)
        first = [step(s, engine, old) for _ in range(steps)]
        for _ in range(2 * loops - steps):  # two steps per loop, the timed ones included
            step(s, engine, old)
        fresh = start(s, engine, 2)
        for _ in range(0, steps, BLOCK):
            old.seconds += [step(s, engine, old) for _ in range(BLOCK)]
            fresh.seconds += [step(s, engine, fresh) for _ in range(BLOCK)]
        sizes = {f"{name}_size": _size(s, looping.instance_id) for name, looping in (("old", old), ("fresh", fresh))}
    db.dispose()

    def ms(seconds: list[float]) -> float:
        return sum(seconds) * 1000 / len(seconds)

    return {"first": ms(first), "old": ms(old.seconds), "fresh": ms(fresh.seconds), **sizes}


def _size(s: Session, instance_id: int) -> str:
    """What an instance has accumulated: its stored state, its task rows, its audit entries."""
    state = s.scalar(select(func.length(ProcessInstance.state)).where(ProcessInstance.id == instance_id))
    tasks = s.scalar(select(func.count()).where(HumanTask.instance_id == instance_id))
    audit = s.scalar(select(func.count()).where(AuditEntry.instance_id == instance_id))
    s.rollback()
    return f"state {state} chars, {tasks} task rows, {audit} audit rows"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loops", type=int, default=1000, help="return loops before the timed steps")
    parser.add_argument("--steps", type=int, default=50, help="timed steps (claim + complete) per instance")
    parser.add_argument("--cache-size", type=int, default=256,
                        help="workflows the engine keeps deserialised (0: every step loads from the database)")
    args = parser.parse_args()
    assert args.steps % BLOCK == 0 and 2 * args.loops >= args.steps

    with tempfile.TemporaryDirectory() as tmp:
        results = [("sqlite", run(f"sqlite:///{tmp}/loops.db", args.loops, args.steps, args.cache_size))]
        pg_url, drop = postgres_database()
        if pg_url:
            try:
                results.append(("postgresql", run(pg_url, args.loops, args.steps, args.cache_size)))
            finally:
                drop()

    for name, r in results:
        print(f"step after {args.loops} return loops / fresh instance, {name}: {r['old'] / r['fresh']:.2f}x "
              f"({r['old']:.1f} ms vs {r['fresh']:.1f} ms per step; "
              f"the same instance's first {args.steps} steps: {r['first']:.1f} ms)")
        print(f"  after the loops: {r['old_size']}; fresh: {r['fresh_size']}")


if __name__ == "__main__":
    main()
