"""The durable-commit floor of a persisted lifecycle: what the database's commits alone cost.

``bench/lifecycle.py`` commits every claim and every completion as its own unit of work, as the
inbox does, and the issue forbids relaxing durability. However little the engine does, a
problem's lifecycle then costs at least its number of write commits times one durable commit;
set against the in-memory baseline of the same run, that bounds the ratio any engine can reach
on this machine's disk:  floor ratio = in-memory / (in-memory + commits x one commit).
"""

from __future__ import annotations

import statistics
import time

from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from engine.db import make_engine

ROWS = 300


def commit_ms(url: str) -> float:
    """Median ms of one single-row insert committed on its own (durability as configured)."""
    db = make_engine(url)
    table = Table("commit_floor", MetaData(), Column("id", Integer, primary_key=True), Column("v", String(10)))
    table.drop(db, checkfirst=True)
    table.create(db)
    samples = []
    with db.connect() as conn:
        for i in range(ROWS):
            began = time.perf_counter()
            conn.execute(insert(table), {"id": i, "v": "x"})
            conn.commit()
            samples.append((time.perf_counter() - began) * 1000)
    table.drop(db)
    db.dispose()
    return statistics.median(samples)


def floor_ratio(in_memory_seconds: float, write_commits: int, one_commit_ms: float) -> float:
    """The best ratio persisted/in-memory that ``write_commits`` durable commits allow."""
    return in_memory_seconds / (in_memory_seconds + write_commits * one_commit_ms / 1000)
