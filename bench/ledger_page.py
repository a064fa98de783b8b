"""Benchmark (not a test): the ledger page (``/ledger``) over HTTP with one round of 10,000 problems.

For SQLite and PostgreSQL in turn: an empty database of its own is filled in bulk with the inbox
benchmark's realistic rows (bench/inbox_http_data.py: problems, ~3 measures each, instances and
their tasks), all put into one round, plus the events those tasks imply (``measure_approved`` for
each approval done, ``measure_overdue`` for open work past its deadline) and a few flags (挂牌督办),
so every status and colour occurs. An app is built on it, supervision and an officer sign in, and
each GETs the page N times through the whole WSGI stack (Flask's test client): unfiltered, filtered
by status, by colour and part, searched, and a later page. Printed per database and variant: p50
and p95 in milliseconds of the page as people meet it (the view's counters and order kept in the
app's memo, ``workflows.ledger_page_cache``, the rows read fresh), beside a baseline measured in
the same run — ``GET /health`` (the same stack and database without the ledger) — and the ratio;
then the cold page, with the memo emptied before each request, as right after any change to the
data (the round-wide SQL aggregate runs). The goal is p95 <= 100 ms.

    python bench/ledger_page.py [--problems 10000] [--requests 100] [--cold 10] [--only sqlite|postgresql]

PostgreSQL: RECTIFLOW_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); the
benchmark creates a database of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbox_http import database, percentiles  # noqa: E402
from inbox_http_data import PASSWORD, generate  # noqa: E402

import workflows.models  # noqa: E402,F401  (registers the domain tables)
from engine import FixedClock  # noqa: E402
from engine.db import Base, make_engine  # noqa: E402
from web.ledger.routes import CACHE_KEY  # noqa: E402
from workflows.models import ProblemFlag  # noqa: E402

GOAL_MS = 100.0
VARIANTS = (
    ("unfiltered", "/ledger"),
    ("status", "/ledger?status=overdue"),
    ("colour+part", "/ledger?colour=red&part=3"),
    ("searched", "/ledger?q=财务管理"),
    ("page 40", "/ledger?page=40"),
)


def timed(action: Callable[[], object], times: int, warm_up: int = 10) -> list[float]:
    """Run ``action`` ``times`` times after ``warm_up`` runs; each run's seconds."""
    for _ in range(warm_up):
        action()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def one_round(db, now: datetime) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Put every part into round 1, and add the events and flags the generated tasks imply."""
    with db.begin() as conn:
        conn.execute(text("UPDATE part SET round_id = 1, ordinal = id"))
        conn.execute(text("DELETE FROM inspection_round WHERE id > 1"))
        conn.execute(text(
            "INSERT INTO process_event (instance_id, name, bpmn_id, item_key, at) "
            "SELECT instance_id, 'measure_approved', 'Event_measure_approved', item_key, completed_at "
            "FROM human_task WHERE stage = 'measure_approve' AND status = 'completed'"))
        conn.execute(text(
            "INSERT INTO process_event (instance_id, name, bpmn_id, item_key, at) "
            "SELECT instance_id, 'measure_overdue', 'Event_measure_overdue', item_key, due_at "
            "FROM human_task WHERE stage IN ('measure_submit', 'measure_approve') AND status = 'open' "
            "AND due_at < :now"), {"now": now})
        flags = [{"problem_id": pid, "reason": "进度滞后，挂牌督办", "flagged_by": "ducha1",
                  "deadline": (now + timedelta(days=pid % 20)).date(), "flagged_at": now - timedelta(days=3)}
                 for pid in range(7, 10_001, 97)]
        conn.execute(insert(ProblemFlag.__table__), flags)  # type: ignore[arg-type]
        events = conn.execute(text("SELECT count(*) FROM process_event")).scalar_one()
    return {"events": int(events), "flags": len(flags)}


def run(kind: str, *, problems: int, requests: int, cold_requests: int, folder: Path) -> list[str]:
    """Fill one database, time the page variants and the baselines; the report's lines."""
    now = datetime.now(UTC).replace(microsecond=0)
    lines = []
    with database(kind, folder) as url:
        db = make_engine(url)
        try:
            Base.metadata.create_all(db)
            started = time.perf_counter()
            data = generate(db, problems=problems, now=now)
            extra = one_round(db, now)
            with db.begin() as conn:
                conn.execute(text("ANALYZE"))
            counts = ", ".join(f"{n:,} {what}" for what, n in {**data.counts, **extra}.items())
            lines.append(f"{kind}: one round of {counts} (generated in {time.perf_counter() - started:.1f} s)")
            app = create_app_for(url, db, now)
            cache = app.extensions  # the page's memo of views lives here (web.ledger.routes.CACHE_KEY)
            for role, login in (("supervision", data.supervisor), ("officer", data.officer)):
                client = app.test_client()
                assert client.post("/login", data={"login": login, "password": PASSWORD}).status_code == 302
                health = percentiles(timed(lambda client=client: client.get("/health"), requests))
                for name, path in VARIANTS if role == "supervision" else VARIANTS[:1]:
                    first = client.get(path)
                    assert first.status_code == 200 and "ledger-counters" in first.get_data(as_text=True), path

                    def page(client=client, path=path) -> None:  # type: ignore[no-untyped-def]
                        assert client.get(path).status_code == 200

                    def cold(client=client, path=path) -> None:  # type: ignore[no-untyped-def]
                        cache.pop(CACHE_KEY, None)  # as after any change to the data: the aggregate runs
                        assert client.get(path).status_code == 200

                    p50, p95 = percentiles(timed(page, requests))
                    c50, c95 = percentiles(timed(cold, cold_requests, warm_up=1))
                    verdict = "ok" if p95 <= GOAL_MS else f"over the {GOAL_MS:.0f} ms goal"
                    lines.append(
                        f"  {role:<11} {name:<11} GET {path:<26} p50 {p50:5.1f} ms  p95 {p95:5.1f} ms ({verdict})"
                        f" | /health p50 {health[0]:4.1f} p95 {health[1]:4.1f} ms, ratio p95 {p95 / health[1]:4.1f}x"
                        f" | cold (data just changed) p50 {c50:6.1f} p95 {c95:6.1f} ms"
                    )
        finally:
            db.dispose()
    return lines


def create_app_for(url: str, db, now: datetime):  # type: ignore[no-untyped-def]
    """The app on the benchmark's database with the clock fixed at the data's ``now``."""
    from web.app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                       "DB_ENGINE": db, "ENGINE_CLOCK": FixedClock(now)})


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--cold", type=int, default=10, help="requests timed with the memo emptied before each")
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RECTIFLOW_INSTANCE_PATH"] = tmp  # no instance file of a developer's leaks in
        for kind in (args.only,) if args.only else ("sqlite", "postgresql"):
            for line in run(kind, problems=args.problems, requests=args.requests, cold_requests=args.cold,
                            folder=Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
