"""Benchmark (not a test): 20 concurrent API clients claiming and completing tasks under gunicorn on PostgreSQL.

A PostgreSQL database of its own is created (and dropped afterwards), migrated, and filled through the
services: one officer per client, each of a unit of their own with a personal API token, and
``--problems`` problems of those units with ``--measures`` measures each (launched: one open 整改进展
task, form ``measure_progress``, per measure). Then ``gunicorn -w 2 --threads 4 'web.app:create_app()'``
serves the app on that database (the scheduler off, the rate limit raised out of the way), and
``--clients`` threads — each one officer with a keep-alive ``http.client`` connection and a bearer token —
list their claimable tasks (``GET /api/v1/tasks?tab=claimable``) and, for each, claim it
(``POST /api/v1/tasks/<id>/claim``) and complete it (``POST /api/v1/tasks/<id>/complete`` with
``{"data": {"progress": "…", "measure_done": true}}``). Each client works on its own unit's problems,
so clients do not race each other for the same instance (a 409 would be counted, not retried).

Printed: completions per second over the whole run, the p50/p95 of the claim and complete requests
and of one claim+complete pair, and a baseline measured in the same run under the same load:
``GET /health`` from the same number of threads against the same gunicorn. The goal is
>= 200 completions/s with p95 <= 50 ms (of a complete request).

    python bench/api_http.py [--clients 20] [--problems 400] [--measures 5] [--port 8765]

PostgreSQL: RECTIFLOW_TEST_PG_URL (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from unittest import mock

from sqlalchemy import select, text
from sqlalchemy.engine import Engine

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import workflows.models  # noqa: E402,F401  (registers the domain tables)
from engine import Actor, HumanTask, TaskStatus, WorkflowEngine  # noqa: E402
from engine.db import make_engine, make_session_factory  # noqa: E402
from workflows.api_tokens import create_token  # noqa: E402
from workflows.models import Role  # noqa: E402
from workflows.people import (  # noqa: E402
    actor_by_login,  # noqa: E402
    create_person,
    create_unit,
)
from workflows.plans import add_measure, add_part, add_problem, create_round, launch  # noqa: E402
from workflows.schema import deploy_bundled, upgrade  # noqa: E402
from workflows.tasks import Submission, claim, submit  # noqa: E402

PG_URL = os.environ.get("RECTIFLOW_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
GOAL_RATE, GOAL_MS = 200.0, 50.0
API = "/api/v1"
PASSWORD = "bench-password-1"
BASELINE_LOGIN = "baseline"  # the officer whose tasks the in-process baseline completes
DATA = {"progress": "已按计划推进，形成阶段性成果", "measure_done": True}


@contextmanager
def fresh_database() -> Iterator[Engine]:
    """A migrated, empty PostgreSQL database of the benchmark's own, dropped afterwards."""
    admin = make_engine(PG_URL, isolation_level="AUTOCOMMIT")
    name = f"rectiflow_bench_api_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    db = make_engine(admin.url.set(database=name).render_as_string(hide_password=False))
    try:
        upgrade(db)
        yield db
    finally:
        db.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _cheap_hash(password: str) -> str:
    from werkzeug.security import generate_password_hash
    return generate_password_hash(password, method="pbkdf2:sha256:1")


def populate(db: Engine, clients: int, problems: int, measures: int, baseline: int) -> list[str]:
    """People, units and launched problems; returns one token per client (officer ``i`` of unit ``Ui``).
    ``baseline`` more problems belong to the baseline's officer, in a unit of their own."""
    engine = WorkflowEngine()
    admin = Actor("admin", groups=frozenset({Role.ADMIN.value}))
    tokens: list[str] = []
    began = time.perf_counter()
    with make_session_factory(db)() as session, mock.patch("workflows.people.generate_password_hash", _cheap_hash):
        deploy_bundled(session, engine, actor="admin")
        leader_unit = create_unit(session, "ZFW", "区委政法委")
        leader = create_person(session, login="leader", name="李书记", password=PASSWORD, roles=[Role.LEADER],
                               unit=leader_unit)
        units = []
        for i in range(clients):
            unit = create_unit(session, f"U{i}", f"第{i}科")
            person = create_person(session, login=f"officer{i}", name=f"干事{i}", password=PASSWORD,
                                   roles=[Role.OFFICER], unit=unit)
            tokens.append(create_token(session, person, "bench", actor=admin, now=datetime.now(UTC))[1])
            units.append(unit)
        baseline_unit = create_unit(session, "UB", "基准科")
        create_person(session, login=BASELINE_LOGIN, name="基准干事", password=PASSWORD, roles=[Role.OFFICER],
                      unit=baseline_unit)
        round_ = create_round(session, title="基准测试巡察整改", at=datetime.now(UTC), inspected_unit=leader_unit)
        part = add_part(session, round_, "党的领导方面")
        for n in range(problems + baseline):
            unit = units[n % clients] if n < problems else baseline_unit
            problem = add_problem(session, part, f"问题{n + 1}", leader=leader, lead_unit=unit)
            for m in range(measures):
                add_measure(session, problem, f"措施{n + 1}.{m + 1}", deadline=date(2030, 6, 30), units=[unit])
        session.commit()
        launch(session, engine, round_, admin)
        session.commit()
    print(f"set-up: {clients} officers with tokens, {problems} problems x {measures} measures "
          f"({problems * measures} open tasks) in {time.perf_counter() - began:.1f} s")
    return tokens


def in_process(db: Engine) -> list[float]:
    """Seconds of each claim + complete of the baseline officer's tasks through the services in this
    process (one session and commit for each, as each request has): the floor under the HTTP figures."""
    engine, sessions, seconds = WorkflowEngine(), make_session_factory(db), []
    with sessions() as session:
        actor = actor_by_login(session, BASELINE_LOGIN)
        ids = list(session.scalars(select(HumanTask.id).where(
            HumanTask.candidate_unit == "UB", HumanTask.status == TaskStatus.OPEN,
            HumanTask.form_key == "measure_progress").order_by(HumanTask.id)))
    for task_id in ids:
        began = time.perf_counter()
        with sessions() as session:
            claim(session, engine, task_id, actor)
            session.commit()
        with sessions() as session:
            submit(session, engine, task_id, actor, Submission(DATA, []), store=None, now=engine.clock())
            session.commit()
        seconds.append(time.perf_counter() - began)
    return seconds


@contextmanager
def gunicorn(db: Engine, port: int, folder: Path) -> Iterator[None]:
    """The app under gunicorn (2 workers x 4 threads) on ``db``, until the block ends."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFLOW_")}
    env.update(RECTIFLOW_DATABASE_URL=db.url.render_as_string(hide_password=False),
               RECTIFLOW_SCHEDULER_ENABLED="false", RECTIFLOW_INSTANCE_PATH=str(folder),
               RECTIFLOW_SECRET_KEY="bench-" + uuid.uuid4().hex, RECTIFLOW_UPLOAD_DIR=str(folder / "uploads"),
               RECTIFLOW_API_RATE_LIMIT="1000000/minute", RECTIFLOW_API_RATE_LIMIT_ANON="1000000/minute")
    binary = shutil.which("gunicorn", path=str(Path(sys.executable).parent)) or "gunicorn"
    log = (folder / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [binary, "-w", "2", "--threads", "4", "-b", f"127.0.0.1:{port}", "--keep-alive", "30",
         "web.app:create_app()"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if request(Connection(port), "GET", "/health")[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {folder / 'gunicorn.log'}:\n"
                                   + (folder / "gunicorn.log").read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        yield
    finally:
        process.terminate()
        process.wait(30)
        log.close()


class Connection:
    """One keep-alive connection, reopened after the server closes it."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)


def request(conn: Connection, method: str, path: str, body: object = None,
            token: str | None = None) -> tuple[int, bytes, float]:
    """(status, body, seconds) of one request; one reconnect if the kept-alive connection was closed."""
    headers = {"Accept": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = None
    if body is not None:
        payload = json.dumps(body).encode("utf-8")
        headers["Content-Type"] = "application/json"
    for attempt in (1, 2):
        began = time.perf_counter()
        try:
            conn.conn.request(method, path, body=payload, headers=headers)
            response = conn.conn.getresponse()
            data = response.read()
            return response.status, data, time.perf_counter() - began
        except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
            conn.conn.close()
            conn.conn = http.client.HTTPConnection("127.0.0.1", conn.port, timeout=30)
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


@dataclass
class Tally:
    claims: list[float] = field(default_factory=list)
    completes: list[float] = field(default_factory=list)
    pairs: list[float] = field(default_factory=list)
    lists: list[float] = field(default_factory=list)
    failures: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)


def client_work(port: int, token: str, tally: Tally, stop_at: float) -> None:
    """List claimable tasks, then claim and complete each, until none are left or time is up."""
    conn = Connection(port)
    claims, completes, pairs, lists, failures = [], [], [], [], {}
    while time.monotonic() < stop_at:
        status, body, seconds = request(conn, "GET", f"{API}/tasks?tab=claimable&limit=50", token=token)
        lists.append(seconds)
        if status != 200:
            failures[status] = failures.get(status, 0) + 1
            break
        tasks = [t for t in json.loads(body)["items"] if t.get("form_key") == "measure_progress"]
        if not tasks:
            break
        for task in tasks:
            if time.monotonic() >= stop_at:
                break
            status, _, claim_s = request(conn, "POST", f"{API}/tasks/{task['id']}/claim", body={}, token=token)
            claims.append(claim_s)
            if status != 200:
                failures[status] = failures.get(status, 0) + 1
                continue
            status, body, complete_s = request(
                conn, "POST", f"{API}/tasks/{task['id']}/complete", token=token,
                body={"data": DATA})
            if status != 200:
                failures[status] = failures.get(status, 0) + 1
                if len(failures) == 1 and failures[status] == 1:
                    print(f"  first refusal: {status} {body[:200]!r}")
                continue
            completes.append(complete_s)
            pairs.append(claim_s + complete_s)
    with tally.lock:
        tally.claims += claims
        tally.completes += completes
        tally.pairs += pairs
        tally.lists += lists
        for status, count in failures.items():
            tally.failures[status] = tally.failures.get(status, 0) + count


def health_work(port: int, latencies: list[float], lock: threading.Lock, stop_at: float) -> None:
    conn, mine = Connection(port), []
    while time.monotonic() < stop_at:
        status, _, seconds = request(conn, "GET", "/health")
        if status == 200:
            mine.append(seconds)
    with lock:
        latencies += mine


def ms(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return 1000 * ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--problems", type=int, default=400)
    parser.add_argument("--measures", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=30.0, help="stop the clients after this long")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--baseline", type=int, default=20, help="problems completed in-process as the baseline")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="rectiflow-bench-api-") as tmp, fresh_database() as db:
        folder = Path(tmp)
        tokens = populate(db, args.clients, args.problems, args.measures, args.baseline)
        floor = in_process(db)
        with gunicorn(db, args.port, folder):
            # Baseline: GET /health from as many threads, for a few seconds, on the same server.
            health: list[float] = []
            lock = threading.Lock()
            health_seconds = 5.0
            stop = time.monotonic() + health_seconds
            threads = [threading.Thread(target=health_work, args=(args.port, health, lock, stop))
                       for _ in range(args.clients)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            tally = Tally()
            stop = time.monotonic() + args.seconds
            threads = [threading.Thread(target=client_work, args=(args.port, tokens[i], tally, stop))
                       for i in range(args.clients)]
            began = time.perf_counter()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            elapsed = time.perf_counter() - began
            if any(status >= 500 for status in tally.failures):
                print("server errors; the end of gunicorn's log:\n"
                      + (folder / "gunicorn.log").read_text(errors="replace")[-3000:])
    rate = len(tally.completes) / elapsed if elapsed else 0.0
    print(f"\n{args.clients} clients, gunicorn -w 2 --threads 4, PostgreSQL")
    print(f"baseline GET /health: {len(health) / health_seconds:7.1f} req/s   "
          f"p50 {ms(health, 50):6.1f} ms   p95 {ms(health, 95):6.1f} ms")
    print(f"completions:          {rate:7.1f} /s    ({len(tally.completes)} in {elapsed:.1f} s; "
          f"refusals {tally.failures or 'none'})")
    print(f"baseline in-process claim+complete, one client: p50 {ms(floor, 50):6.1f} ms   "
          f"p95 {ms(floor, 95):6.1f} ms   ({len(floor) / sum(floor) if floor else 0:.1f} /s serially, n={len(floor)})")
    for label, values in (("list claimable", tally.lists), ("claim", tally.claims), ("complete", tally.completes),
                          ("claim+complete", tally.pairs)):
        print(f"  {label:15s} p50 {ms(values, 50):6.1f} ms   p95 {ms(values, 95):6.1f} ms   "
              f"mean {1000 * statistics.fmean(values) if values else float('nan'):6.1f} ms   n={len(values)}")
    met = rate >= GOAL_RATE and ms(tally.completes, 95) <= GOAL_MS
    print(f"goal >= {GOAL_RATE:.0f} completions/s with p95 <= {GOAL_MS:.0f} ms (complete): "
          f"{'met' if met else 'NOT met'}")


if __name__ == "__main__":
    main()
