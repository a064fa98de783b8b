"""Scheduler replicas as real processes on a real database, and instances with due timers in bulk.

``Replicas`` starts ``rectiflow scheduler`` processes (the venv's console script) on a migrated
database with a 1 s tick, kills or stops them, and hands their logs to a failing assertion.
``due_instances`` starts one instance of a real timer diagram through the engine and copies it
in bulk (the same workflow state and timer row, each copy with its own id and version token), so
thousands of due timers take a second to set up rather than a minute.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, ProcessInstance, Timer, WorkflowEngine
from engine.models import AuditEntry

from ..conftest import ROOT

DIAGRAM = ROOT / "tests" / "fixtures" / "bpmn" / "poison_duration.bpmn"  # one day, then another wait
FIRST_TIMER = "Timer_first"
DEADLINE_SECONDS = 90.0  # generous: a noisy two-core machine runs three schedulers and PostgreSQL


def url_of(db: Engine) -> str:
    return db.url.render_as_string(hide_password=False)


def due_instances(db: Engine, count: int, due_at: datetime) -> list[int]:
    """``count`` running instances whose first timer is due at ``due_at``; their ids."""
    engine = WorkflowEngine(clock=FixedClock(due_at - timedelta(days=1)))  # Timer_first waits P1D
    with Session(db) as session:
        engine.deploy_path(session, DIAGRAM, actor="admin")
        template = engine.start(session, "poison_duration", {"delay": "P1D"}, actor=Actor("admin"))
        [timer] = session.scalars(select(Timer).where(Timer.instance_id == template.id)).all()
        assert timer.bpmn_id == FIRST_TIMER and timer.due_at == due_at
        copies = session.scalars(insert(ProcessInstance).returning(ProcessInstance.id), [
            {"definition_id": template.definition_id, "business_key": f"copy:{n}", "status": template.status,
             "state": template.state, "data": template.data, "created_at": template.created_at,
             "updated_at": template.updated_at, "version": uuid.uuid4().hex}
            for n in range(count - 1)
        ]).all()
        session.execute(insert(Timer), [
            {"instance_id": instance_id, "task_guid": timer.task_guid, "bpmn_id": timer.bpmn_id,
             "item_key": timer.item_key, "due_at": timer.due_at, "attempts": 0}
            for instance_id in copies
        ])
        session.commit()
        return [template.id, *copies]


def fired(db: Engine) -> dict[int, int]:
    """How many times the audit log says each instance's timers fired."""
    with Session(db) as session:
        rows = session.execute(
            select(AuditEntry.instance_id, func.count()).where(AuditEntry.action == "timer")
            .group_by(AuditEntry.instance_id)
        ).all()
    return {instance_id: count for instance_id, count in rows if instance_id is not None}


def still_due(db: Engine) -> int:
    """First timers not fired yet."""
    with Session(db) as session:
        return session.scalar(select(func.count(Timer.id)).where(Timer.bpmn_id == FIRST_TIMER)) or 0


class Replicas:
    """``rectiflow scheduler`` processes on one database; every one still running is killed at the end."""

    def __init__(self, db: Engine, folder: Path) -> None:
        self.db = db
        self.folder = folder
        self.processes: list[subprocess.Popen[bytes]] = []
        self.logs: list[Path] = []

    def start(self, count: int = 1) -> list[subprocess.Popen[bytes]]:
        """Start ``count`` more schedulers with a 1 s tick."""
        started = []
        for _ in range(count):
            log = self.folder / f"scheduler-{len(self.processes) + 1}.log"
            env = {k: v for k, v in os.environ.items() if not k.startswith("RECTIFLOW_")}
            env.update(RECTIFLOW_DATABASE_URL=url_of(self.db), RECTIFLOW_SCHEDULER_INTERVAL_SECONDS="1",
                       RECTIFLOW_INSTANCE_PATH=str(self.folder), PYTHONUNBUFFERED="1")
            with log.open("wb") as out:
                process = subprocess.Popen([*_rectiflow(), "scheduler"], cwd=ROOT, env=env, stdout=out,
                                           stderr=subprocess.STDOUT)
            self.processes.append(process)
            self.logs.append(log)
            started.append(process)
        return started

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        """SIGKILL: no clean-up, no rollback sent; the database notices the dropped connection."""
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=DEADLINE_SECONDS)

    def stop_all(self) -> None:
        """SIGTERM every running scheduler and wait for each to end."""
        for process in self.processes:
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            process.wait(timeout=DEADLINE_SECONDS)

    def running(self) -> int:
        return sum(process.poll() is None for process in self.processes)

    def output(self) -> str:
        """Every scheduler's log, for an assertion message."""
        return "\n".join(f"--- {log.name}\n{log.read_text(errors='replace')[-3000:]}" for log in self.logs)

    def wait_for(self, condition: Callable[[], bool], what: str, deadline: float = DEADLINE_SECONDS) -> None:
        """Poll ``condition`` until it holds; fail with the schedulers' logs after ``deadline`` seconds."""
        give_up = time.monotonic() + deadline
        while not condition():
            if time.monotonic() > give_up:
                raise AssertionError(f"not within {deadline:.0f} s: {what}\n{self.output()}")
            time.sleep(0.05)  # polling, not timing: the condition decides

    def close(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _rectiflow() -> list[str]:
    """The ``rectiflow`` console script of the interpreter running the tests."""
    script = shutil.which("rectiflow", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-c", "from web.cli import main; main()"]
