"""The ``rectiflow`` command line on the demo plan (SQLite and PostgreSQL), as an operator runs it,
and the ledger read back from the database the commands committed to."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import web.cli
from workflows.ledger import LedgerRow, ledger_rows
from workflows.models import InspectionRound

from .evidence_samples import SAMPLES

# The demo's officers by the unit they work in (workflows/demo.py).
OFFICER_OF = {"办公室": "bgs", "综治科": "zzk", "维稳科": "wwk", "队伍建设科": "dwk", "机关党总支": "dzz"}


@dataclass
class DemoCli:
    """Runs commands; ``ok=False`` expects a one-line error and no traceback."""

    db: Engine
    evidence_dir: Path
    files: Path
    invoke: Callable[..., str]

    def __call__(self, *args: str | Path, ok: bool = True) -> str:
        return self.invoke(*args, ok=ok)

    def ledger(self, round_id: int | None = None) -> dict[str, LedgerRow]:
        """The ledger of the round (default: the newest) by number, as the Excel export reads it."""
        with Session(self.db) as session:
            query = select(InspectionRound).order_by(InspectionRound.id.desc())
            if round_id is not None:
                query = query.where(InspectionRound.id == round_id)
            round_ = session.scalars(query).first()
            assert round_ is not None
            return {row.number: row for row in ledger_rows(session, round_)}

    def sample(self, name: str, content: bytes | None = None) -> Path:
        """A small real file of the type its extension names (tests/workflows/evidence_samples.py)."""
        path = self.files / name
        path.write_bytes(content if content is not None else SAMPLES[name.rsplit(".", 1)[-1]][0])
        return path

    def do_measure(self, number: str, officer: str, leader: str, *, progress: str = "已落实") -> None:
        """Submit a measure's progress and have the leader approve it, all by ledger number."""
        self("claim", number, "--user", officer)
        self("complete", number, "--user", officer, "--data", json.dumps({"progress": progress}))
        self("claim", number, "--user", leader)
        self("complete", number, "--user", leader, "--data", '{"review_decision": "approve"}')

    def stored_files(self) -> list[Path]:
        """The files in the evidence store (temporary uploads excluded)."""
        if not self.evidence_dir.exists():
            return []
        return sorted(p for p in self.evidence_dir.rglob("*") if p.is_file() and not p.name.startswith("."))


def invoker() -> Callable[..., str]:
    """How the CLI tests run a command: ``ok=False`` expects one error line, no traceback."""
    runner = CliRunner()

    def invoke(*args: str | Path, ok: bool = True) -> str:
        result = runner.invoke(web.cli.main, [str(a) for a in args], catch_exceptions=False)
        assert (result.exit_code == 0) == ok, result.output
        if not ok:
            assert "Traceback" not in result.output
            assert len(result.output.strip().splitlines()) == 1, result.output
        return result.output

    return invoke


@pytest.fixture(name="demo")
def demo_fixture(empty_database: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DemoCli]:
    """``rectiflow demo`` loaded into a fresh database; evidence kept under ``tmp_path``."""
    monkeypatch.setenv("RECTIFLOW_DATABASE_URL", empty_database.url.render_as_string(hide_password=False))
    evidence_dir = tmp_path / "evidence"
    monkeypatch.setenv("RECTIFLOW_EVIDENCE_DIR", str(evidence_dir))
    files = tmp_path / "files"
    files.mkdir()
    invoke = invoker()
    invoke("demo")
    yield DemoCli(empty_database, evidence_dir, files, invoke)
