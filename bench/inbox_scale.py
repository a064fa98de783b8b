"""Benchmark: the inbox query (``engine.inbox.tasks_for``) at 100,000 open instances.

Each instance has three open tasks, shaped as the diagram leaves them: an officer's progress
report offered to a unit (some claimed), a leader's approval named for that leader, or a
supervision task offered to the group without a unit (no deadline, as ``Task_verify``), plus
one completed task behind them. The query is timed for four people on SQLite and PostgreSQL:
an officer of one unit, an officer of five units, a leader named as candidate user, and a
supervision person reached through the group. Prints p50 and p95 per person and database.

    python bench/inbox_scale.py [--instances 100000] [--repeat 50] [--limit 100] [--explain]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine

sys.path.insert(0, str(Path(__file__).resolve().parent))

from lifecycle import DIAGRAM, START, postgres_database  # noqa: E402

from engine import Actor, FixedClock, HumanTask, ProcessInstance, TaskStatus, WorkflowEngine  # noqa: E402
from engine.db import Base, make_engine, make_session_factory  # noqa: E402
from engine.inbox import tasks_for, tasks_for_query  # noqa: E402

UNITS = [f"U{u}" for u in range(1, 41)]
LEADERS = [f"leader{k}" for k in range(50)]
ACTORS = {
    "officer, one unit": Actor("officer1", groups=frozenset({"officer"}), units=frozenset({"U1"})),
    "officer, five units": Actor("officer5", groups=frozenset({"officer"}), units=frozenset(UNITS[:5])),
    "leader, candidate user": Actor("leader7", groups=frozenset({"leader"})),
    "supervision, by group": Actor("sup", groups=frozenset({"supervision"})),
}
SUBMIT = ("Task_submit_progress", "报送整改进展与佐证材料 Submit progress and evidence", "measure_submit",
          "measure_progress")
APPROVE = ("Task_approve_measure", "审批整改措施 Approve the measure", "measure_approve", "measure_review")
VERIFY = ("Task_verify", "逐项核实 Verify", "verify", "verification")
BATCH = 20_000  # rows per executemany


def task_row(i: int, m: int) -> dict[str, Any]:
    """Open task ``m`` of instance ``i``: 60 % officers' reports, 30 % approvals, 10 % supervision."""
    n = i * 3 + m
    unit = UNITS[n % len(UNITS)]
    kind = n % 10
    bpmn_id, name, stage, form = SUBMIT if kind < 6 else APPROVE if kind < 9 else VERIFY
    row: dict[str, Any] = {
        "instance_id": i, "task_guid": str(uuid.UUID(int=n)), "process_key": "rectification",
        "bpmn_id": bpmn_id, "name": name, "stage": stage, "form_key": form, "lane": None,
        "candidate_group": "officer", "candidate_unit": unit, "candidate_user": None, "assignee": None,
        "business_key": f"problem:{i}", "item_key": f"measure:{n}",
        "due_at": START + timedelta(days=(n * 7) % 365, hours=n % 24), "status": TaskStatus.OPEN.value,
        "created_at": START, "claimed_at": None, "completed_at": None, "completed_by": None, "data": None,
    }
    if kind < 6 and n % 13 == 0:  # some reports already claimed by an officer of the unit
        row.update(assignee=f"officer{UNITS.index(unit) + 1}", claimed_at=START)
    elif bpmn_id == APPROVE[0]:
        row.update(candidate_group="leader", candidate_user=LEADERS[n % len(LEADERS)])
    elif bpmn_id == VERIFY[0]:
        row.update(candidate_group="supervision", candidate_unit=None, item_key=f"problem:{i}", due_at=None)
    return row


def done_row(i: int) -> dict[str, Any]:
    """The completed report behind instance ``i``'s open tasks (history the indexes must skip)."""
    row = task_row(i, 0) | {"task_guid": str(uuid.UUID(int=10**9 + i)), "bpmn_id": SUBMIT[0], "name": SUBMIT[1],
                            "candidate_group": "officer", "candidate_user": None, "candidate_unit": UNITS[i % 40]}
    return row | {"status": TaskStatus.COMPLETED.value, "assignee": "officer1", "completed_by": "officer1",
                  "completed_at": START, "claimed_at": START}


def batches(rows: Iterator[dict[str, Any]]) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def load(db: Engine, instances: int) -> float:
    """Deploy the diagram and insert the instances and their tasks; seconds taken."""
    began = time.perf_counter()
    Base.metadata.create_all(db)
    sessions = make_session_factory(db)
    with sessions() as s:
        [deployed] = WorkflowEngine(clock=FixedClock(START)).deploy_path(s, DIAGRAM, actor="bench")
        definition_id = deployed.definition.id
        s.commit()
    with db.begin() as conn:
        for batch in batches({"id": i, "definition_id": definition_id, "business_key": f"problem:{i}",
                              "status": "running", "state": "{}", "data": {}, "created_at": START,
                              "updated_at": START, "version": uuid.uuid4().hex} for i in range(1, instances + 1)):
            conn.execute(insert(ProcessInstance), batch)
        for batch in batches(done_row(i) for i in range(1, instances + 1)):
            conn.execute(insert(HumanTask), batch)
        for batch in batches(task_row(i, m) for i in range(1, instances + 1) for m in range(3)):
            conn.execute(insert(HumanTask), batch)
    with db.connect() as conn:
        conn.execute(text("ANALYZE"))
        conn.commit()
    return time.perf_counter() - began


def timings(db: Engine, repeat: int, limit: int) -> dict[str, tuple[float, float, int]]:
    """Per actor: p50 and p95 ms of ``tasks_for`` and how many rows it gave."""
    sessions = make_session_factory(db)
    results = {}
    with sessions() as s:
        for label, actor in ACTORS.items():
            tasks_for(s, actor, limit=limit)  # warm the statement cache and the pages
            samples = []
            for _ in range(repeat):
                began = time.perf_counter()
                rows = tasks_for(s, actor, limit=limit)
                samples.append((time.perf_counter() - began) * 1000)
                s.rollback()
            cuts = statistics.quantiles(samples, n=20)
            results[label] = (statistics.median(samples), cuts[18], len(rows))
    return results


def explain(db: Engine, limit: int) -> None:
    """Print the plan PostgreSQL (EXPLAIN ANALYZE) or SQLite (EXPLAIN QUERY PLAN) runs for each actor."""
    postgres = db.dialect.name == "postgresql"
    with db.connect() as conn:
        for label, actor in ACTORS.items():
            query = tasks_for_query(actor, limit=limit)
            sql = str(query.compile(db, compile_kwargs={"literal_binds": True}))
            prefix = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            print(f"--- {db.dialect.name}, {label}")
            for row in conn.execute(text(prefix + sql)):
                print("   ", row[0] if postgres else row)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=100_000, help="open instances, 3 open tasks each")
    parser.add_argument("--repeat", type=int, default=50, help="timed queries per person")
    parser.add_argument("--limit", type=int, default=100, help="rows per query")
    parser.add_argument("--explain", action="store_true", help="print each query's plan")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        urls: list[tuple[str, str]] = [("sqlite", f"sqlite:///{tmp}/inbox.db")]
        pg_url, drop = postgres_database()
        if pg_url:
            urls.append(("postgresql", pg_url))
        try:
            for name, url in urls:
                db = make_engine(url)
                seconds = load(db, args.instances)
                print(f"{name}: {args.instances} instances, {args.instances * 4} tasks loaded in {seconds:.0f} s")
                if args.explain:
                    explain(db, args.limit)
                results = timings(db, args.repeat, args.limit)
                db.dispose()
                for label, (p50, p95, count) in results.items():
                    print(f"  {label}: p50 {p50:.1f} ms, p95 {p95:.1f} ms ({count} rows)")
                print(f"inbox query, {args.instances} open instances, {name}: "
                      f"p95 {max(p95 for _, p95, _ in results.values()):.1f} ms (slowest person)")
        finally:
            if drop:
                drop()


if __name__ == "__main__":
    main()
