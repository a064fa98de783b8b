"""Benchmark: the rectification lifecycle, persisted vs. in memory, and the inbox at scale.

N problems x 3 measures run from start to 销号 (closure) three ways in one run:
on bare in-memory SpiffWorkflow (the baseline), on the persisted engine with
SQLite, and on the persisted engine with PostgreSQL. The machine is shared
and noisy, so the figures that matter are the ratios persisted / in-memory,
measured side by side. Then 10,000 open instances' worth of human tasks are
loaded and the inbox query is timed.

    python bench/lifecycle.py [--n 40] [--inbox 10000] [--breakdown]

``--breakdown`` runs the persisted lifecycle once more per database under a small
profiler (bench/step_breakdown.py) and prints where a completed task's time goes.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from commit_floor import commit_ms, floor_ratio  # noqa: E402

import workflows.models  # noqa: E402,F401
from engine import (  # noqa: E402
    Actor,
    FixedClock,
    HumanTask,
    ProcessInstance,
    TaskStatus,
    WorkflowEngine,
    spiff_compat,  # noqa: E402
)
from engine.db import Base, make_engine, make_session_factory  # noqa: E402
from engine.inbox import tasks_for  # noqa: E402
from engine.script_env import SandboxScriptEngine  # noqa: E402

DIAGRAM = ROOT / "bpmn" / "rectification.bpmn"
PG_URL = os.environ.get("RECTIFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)
OFFICER = Actor("officer", groups=frozenset({"officer"}), units=frozenset({"U1"}))
LEADER = Actor("leader", groups=frozenset({"leader"}))
SUPERVISOR = Actor("sup", groups=frozenset({"supervision"}))
ANSWERS = {
    "Task_submit_progress": (OFFICER, {"progress": "done", "evidence": []}),
    "Task_approve_measure": (LEADER, {"review_decision": "approve", "reason": None}),
    "Task_verify": (SUPERVISOR, {"verify_decision": "pass", "reason": None, "new_deadline": None}),
}


def problem_data(i: int) -> dict:
    deadline = (START + timedelta(days=60)).isoformat()
    return {
        "problem": {"id": i, "long_term": False, "lead_unit": "U1", "leader": "leader"},
        "measures": [{"id": i * 10 + m, "deadline": deadline, "unit": "U1", "leader": "leader"} for m in range(3)],
        "lookback_delay": "P6M", "report_interval": "P1M", "reopen_count": 0, "new_deadline": None,
    }


def run_in_memory(n: int) -> float:
    """Seconds to take n problems to closure on bare SpiffWorkflow (same diagram, same sandbox)."""
    spiff_compat.apply()
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parser.get_spec("rectification"), parser.get_subprocess_specs("rectification")
    script_engine = SandboxScriptEngine(clock=lambda: START)
    began = time.perf_counter()
    for i in range(n):
        workflow = BpmnWorkflow(spec, subs, script_engine=script_engine)
        for task in workflow.get_tasks(state=TaskState.READY):
            task.set_data(**problem_data(i))
        workflow.do_engine_steps()
        while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
            for task in ready:
                task.set_data(**ANSWERS[task.task_spec.bpmn_id][1])
                task.run()
            workflow.do_engine_steps()
        assert [t.task_spec.bpmn_id for t in workflow.get_tasks(state=TaskState.WAITING)] == ["Timer_lookback"]
    return time.perf_counter() - began


def run_persisted(url: str, n: int, *, together: bool = False, counts: dict | None = None) -> float:
    """Seconds to take n problems to closure on the engine, one committed unit of work per step.

    With ``together``, a task is claimed and completed in one unit of work (one request).
    ``counts`` receives the number of completions and the seconds spent claiming.
    """
    db = make_engine(url)
    Base.metadata.create_all(db)
    sessions = make_session_factory(db)
    engine = WorkflowEngine(clock=FixedClock(START))
    with sessions() as s:
        engine.deploy_path(s, DIAGRAM, actor="bench")
        s.commit()
    began = time.perf_counter()
    with sessions() as s:
        for i in range(n):
            instance_id = engine.start(s, "rectification", problem_data(i), actor=SUPERVISOR).id
            s.commit()
            while True:
                tasks = s.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id,
                                                          HumanTask.status == TaskStatus.OPEN)).all()
                s.commit()
                if not tasks:
                    break
                for task in tasks:  # one unit of work to claim, one to complete, as in the inbox
                    actor, answer = ANSWERS[task.bpmn_id]
                    claim_began = time.perf_counter()
                    engine.claim(s, task.id, actor)
                    if not together:
                        s.commit()
                    if counts is not None:
                        counts["claim"] = counts.get("claim", 0.0) + time.perf_counter() - claim_began
                        counts["steps"] = counts.get("steps", 0) + 1
                    engine.complete(s, task.id, actor, answer)
                    s.commit()
    elapsed = time.perf_counter() - began
    db.dispose()
    return elapsed


def inbox_query(url: str, instances: int) -> float:
    """Median ms of one inbox query with ``instances`` open instances of 3 open tasks each."""
    db = make_engine(url)
    Base.metadata.create_all(db)
    sessions = make_session_factory(db)
    engine = WorkflowEngine(clock=FixedClock(START))
    with sessions() as s:
        [deployed] = engine.deploy_path(s, DIAGRAM, actor="bench")
        definition_id = deployed.definition.id
        s.commit()
    units = [f"U{u}" for u in range(1, 41)]
    with db.begin() as conn:
        conn.execute(insert(ProcessInstance), [
            {"id": i, "definition_id": definition_id, "business_key": f"problem:{i}", "state": "{}", "data": {},
             "created_at": START, "updated_at": START, "version": uuid.uuid4().hex}
            for i in range(1, instances + 1)
        ])
        conn.execute(insert(HumanTask), [
            {"instance_id": i, "task_guid": str(uuid.uuid4()), "process_key": "rectification",
             "bpmn_id": "Task_submit_progress", "name": "报送整改进展", "candidate_group": "officer",
             "candidate_unit": units[(i + m) % len(units)], "item_key": f"measure:{i * 10 + m}",
             "due_at": START + timedelta(days=(i * 7 + m) % 365), "status": TaskStatus.OPEN.value,
             "created_at": START}
            for i in range(1, instances + 1) for m in range(3)
        ])
        if db.dialect.name == "postgresql":
            conn.execute(text("ANALYZE"))
    samples = []
    with sessions() as s:
        for _ in range(30):
            began = time.perf_counter()
            rows = tasks_for(s, OFFICER, limit=100)
            samples.append((time.perf_counter() - began) * 1000)
        assert rows
    db.dispose()
    return statistics.median(samples)


def postgres_database():
    """A throwaway PostgreSQL database URL and its dropper, or (None, None) when unreachable."""
    try:
        admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"rectiflow_bench_{os.getpid()}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # noqa: BLE001 - any failure means "no PostgreSQL here"
        print(f"postgresql: unavailable ({str(exc).splitlines()[0]})")
        return None, None

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=40, help="problems per run (3 measures each)")
    parser.add_argument("--inbox", type=int, default=10_000, help="open instances for the inbox query")
    parser.add_argument("--breakdown", action="store_true", help="print where a step's time goes")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        in_memory = run_in_memory(args.n)
        counts: dict = {}
        sqlite = run_persisted(f"sqlite:///{tmp}/bench.db", args.n, counts=counts)
        commit_sqlite = commit_ms(f"sqlite:///{tmp}/floor.db")
        sqlite_together = run_persisted(f"sqlite:///{tmp}/together.db", args.n, together=True)
        pg_url, drop = postgres_database()
        postgres = run_persisted(pg_url, args.n) if pg_url else None
        commit_pg = commit_ms(pg_url) if pg_url else None
        if drop:
            drop()
        inbox_sqlite = inbox_query(f"sqlite:///{tmp}/inbox.db", args.inbox)
        pg_url, drop = postgres_database()
        inbox_pg = inbox_query(pg_url, args.inbox) if pg_url else None
        if drop:
            drop()

    print(f"problems: {args.n} x 3 measures, start to closure (销号)")
    print(f"in-memory SpiffWorkflow: {args.n / in_memory:.1f} instances/s")
    print(f"persisted sqlite: {args.n / sqlite:.1f} instances/s")
    if postgres:
        print(f"persisted postgresql: {args.n / postgres:.1f} instances/s")
    print(f"ratio sqlite: {in_memory / sqlite:.2f}")
    print(f"ratio sqlite, claim and complete in one unit of work: {in_memory / sqlite_together:.2f}")
    if postgres:
        print(f"ratio postgresql: {in_memory / postgres:.2f}")
    # Each problem: its start, then a claim and a completion per task, each committed on its own.
    commits = args.n + 2 * counts["steps"]
    print(f"durable commit: sqlite {commit_sqlite:.2f} ms" + (f", postgresql {commit_pg:.2f} ms" if commit_pg else "")
          + f"; {commits} write commits in a run")
    print(f"floor ratio sqlite (commits alone): {floor_ratio(in_memory, commits, commit_sqlite):.2f}")
    if commit_pg:
        print(f"floor ratio postgresql (commits alone): {floor_ratio(in_memory, commits, commit_pg):.2f}")
    print(f"inbox query, {args.inbox} open instances, sqlite: {inbox_sqlite:.1f} ms")
    if inbox_pg is not None:
        print(f"inbox query, {args.inbox} open instances, postgresql: {inbox_pg:.1f} ms")
    if args.breakdown:
        print_breakdown(args.n)


def print_breakdown(n: int) -> None:
    """Run the persisted lifecycle again per database under the profiler; print ms per completed task."""
    from step_breakdown import Breakdown

    with tempfile.TemporaryDirectory() as tmp:
        urls = [("sqlite", f"sqlite:///{tmp}/breakdown.db")]
        pg_url, drop = postgres_database()
        if pg_url:
            urls.append(("postgresql", pg_url))
        for name, url in urls:
            counts: dict = {}
            with Breakdown().installed() as breakdown:
                run_persisted(url, n, counts=counts)
            steps = counts["steps"]
            print(f"breakdown {name}: {steps} tasks claimed and completed, each its own unit of work "
                  f"(claim alone {counts['claim'] * 1000 / steps:.2f} ms incl. its commit)")
            print("\n".join(breakdown.lines(steps)))
        if drop:
            drop()


if __name__ == "__main__":
    main()
