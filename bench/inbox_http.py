"""Benchmark (not a test): the inbox page over HTTP with 10,000 open problems (~30,000 open tasks).

For SQLite and PostgreSQL in turn: an empty database of its own is filled in bulk
(bench/inbox_http_data.py: realistic rows, no lifecycles run), an app is built on it, an officer
and a supervisor sign in through the login form, and each GETs ``/`` N times through the whole
WSGI stack (Flask's test client: routing, session cookie, sign-in check, queries, templates).
Printed per database, role and page (``/``; also the claimable tab, the longest list): p50 and
p95 in milliseconds, beside a baseline measured in the same run on the same data — the bare
inbox query (``engine.inbox.tasks_for``, 20 rows, in a fresh session) — and the ratio page /
baseline. The goal is p95 <= 50 ms.

    python bench/inbox_http.py [--problems 10000] [--requests 200] [--only sqlite|postgresql]

PostgreSQL: RECTIFLOW_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test); the
benchmark creates a database of its own there and drops it afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from inbox_http_data import PASSWORD, generate  # noqa: E402

import workflows.models  # noqa: E402,F401  (registers the domain tables)
from engine import FixedClock  # noqa: E402
from engine.db import Base, make_engine, make_session_factory  # noqa: E402
from engine.inbox import tasks_for  # noqa: E402
from web.app import create_app  # noqa: E402
from workflows.people import actor_by_login  # noqa: E402

PG_URL = os.environ.get("RECTIFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
GOAL_MS = 50.0
# ``/`` (my tasks, the page people land on) is the benchmark; the claimable tab is the largest list.
PATHS = ("/", "/?tab=claimable")
WARM_UP = 10


@contextlib.contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of the benchmark's own (a PostgreSQL one is dropped afterwards)."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'bench.db'}"
        return
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"rectiflow_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin.url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def percentiles(samples: list[float]) -> tuple[float, float]:
    """p50 and p95 of ``samples`` (seconds), in milliseconds."""
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49] * 1000, cuts[94] * 1000


def timed(action: Callable[[], object], times: int) -> list[float]:
    """Run ``action`` ``times`` times after a warm-up; each run's seconds."""
    for _ in range(WARM_UP):
        action()
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return samples


def run(kind: str, *, problems: int, requests: int, folder: Path) -> list[str]:
    """Fill one database, time the page and the baseline per role; the report's lines."""
    now = datetime.now(UTC).replace(microsecond=0)
    lines = []
    with database(kind, folder) as url:
        db = make_engine(url)
        try:
            Base.metadata.create_all(db)
            started = time.perf_counter()
            data = generate(db, problems=problems, now=now)
            with db.begin() as conn:  # fresh statistics, as autovacuum / a maintenance job would keep them
                conn.execute(text("ANALYZE"))
            counts = ", ".join(f"{n:,} {what}" for what, n in data.counts.items())
            lines.append(f"{kind}: {counts} (generated in {time.perf_counter() - started:.1f} s)")
            app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "WTF_CSRF_ENABLED": False,
                              "DB_ENGINE": db, "ENGINE_CLOCK": FixedClock(now)})
            sessions = make_session_factory(db)
            for role, login in (("officer", data.officer), ("supervision", data.supervisor)):
                client = app.test_client()
                signed_in = client.post("/login", data={"login": login, "password": PASSWORD})
                assert signed_in.status_code == 302, f"{login} could not sign in"
                first = client.get("/")
                assert first.status_code == 200 and "task-table" in first.get_data(as_text=True), "no rows"

                with sessions() as session:
                    actor = actor_by_login(session, login)

                def baseline(actor=actor) -> None:  # type: ignore[no-untyped-def]
                    with sessions() as session:
                        tasks_for(session, actor, limit=20)

                base_p50, base_p95 = percentiles(timed(baseline, requests))
                for path in PATHS:
                    def page(client=client, path=path) -> None:  # type: ignore[no-untyped-def]
                        response = client.get(path)
                        assert response.status_code == 200

                    page_p50, page_p95 = percentiles(timed(page, requests))
                    verdict = "ok" if page_p95 <= GOAL_MS else f"over the {GOAL_MS:.0f} ms goal"
                    lines.append(
                        f"  {role:<12} GET {path:<15} p50 {page_p50:5.1f} ms  p95 {page_p95:5.1f} ms ({verdict})"
                        f"   baseline query p50 {base_p50:4.1f} ms  p95 {base_p95:4.1f} ms"
                        f"   ratio p95 {page_p95 / base_p95:4.1f}x"
                    )
        finally:
            db.dispose()
    return lines


def main(argv: list[str] | None = None) -> None:
    """Run the benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--problems", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--only", choices=("sqlite", "postgresql"))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RECTIFLOW_INSTANCE_PATH"] = tmp  # no instance file of a developer's leaks in
        for kind in (args.only,) if args.only else ("sqlite", "postgresql"):
            for line in run(kind, problems=args.problems, requests=args.requests, folder=Path(tmp)):
                print(line, flush=True)


if __name__ == "__main__":
    main()
