"""``rectiflow backup`` and ``restore``: a populated installation comes back whole, row for row and file
for file, on SQLite and PostgreSQL; a damaged or altered backup, or a target that is not empty, is refused
and leaves nothing behind."""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import tarfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import inspect, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

import web.cli
from engine import HumanTask, ProcessInstance, Timer
from engine.db import Base
from engine.models import AuditEntry
from workflows.deadlines import china_date
from workflows.ledger import LedgerRow, ledger_rows
from workflows.models import Evidence, InspectionRound
from workflows.table_checksums import fingerprint_database

from ..conftest import new_database
from .demo_cli import DemoCli
from .demo_template import demo_copy_fixture  # noqa: F401  (``demo``: a copy of the loaded demo)

COMPARED = (HumanTask, Timer, AuditEntry, ProcessInstance, Evidence)


def populate(demo: DemoCli) -> None:
    """Work the demo plan a little: evidence files, an approval, and timers fired months ahead."""
    demo("claim", "1.2.1", "--user", "dzz")
    demo("complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "已核对考学情况"}',
         "--file", demo.sample("签到表.pdf"), "--file", demo.sample("现场.png"))
    demo("tick", "--now", (china_date(datetime.now(UTC)) + timedelta(days=70)).isoformat())


def rows_of(db: Engine, model: Any) -> list[dict[str, Any]]:
    """Every row of ``model``'s table as the ORM reads it, by primary key: compared without the checksums."""
    mapper = inspect(model)
    with Session(db) as session:
        found = session.scalars(select(model).order_by(*mapper.primary_key))
        return [{a.key: getattr(row, a.key) for a in mapper.column_attrs} for row in found]


def ledger_of(db: Engine) -> list[LedgerRow]:
    with Session(db) as session:
        round_ = session.scalars(select(InspectionRound).order_by(InspectionRound.id)).one()
        return ledger_rows(session, round_)


def stored(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def url_of(db: Engine) -> str:
    return db.url.render_as_string(hide_password=False)


def fresh_database(kind: str, folder: Path) -> contextlib.AbstractContextManager[Engine]:
    """A new, empty database of ``kind`` (no tables)."""
    return new_database(kind, folder, "restored.db")


def run(args: list[str | Path], db: Engine, evidence: Path, ok: bool = True) -> str:
    """A command against ``db`` and ``evidence``; ``ok=False`` expects one error line and exit 1."""
    env = {"RECTIFLOW_DATABASE_URL": url_of(db), "RECTIFLOW_EVIDENCE_DIR": str(evidence)}
    result = CliRunner().invoke(web.cli.main, [str(a) for a in args], env=env, catch_exceptions=False)
    assert (result.exit_code == 0) == ok, result.output
    if not ok:
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1, result.output
    return result.output


def test_a_backup_restored_into_a_fresh_database_holds_every_row_and_file(demo: DemoCli, tmp_path: Path) -> None:
    populate(demo)
    archive = tmp_path / "rectiflow.tar.gz"
    written = demo("backup", "-o", archive)
    counts = {name: f.rows for name, f in fingerprint_database_of(demo.db).items()}
    assert counts["evidence"] == 2 and counts["timer"] > 0 and counts["audit_log"] > 20
    assert set(counts) == set(Base.metadata.tables)  # every table the migrations create but alembic_version
    for name, rows in counts.items():  # every table's row count is printed
        assert any(line.split()[:2] == [name, str(rows)] for line in written.splitlines()), (name, written)
    assert "evidence files: 2 " in written
    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    database = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}[demo.db.dialect.name]
    assert names[:2] == ["manifest.json", database]
    assert sorted(names[2:]) == sorted(f"evidence/{key}" for key in stored(demo.evidence_dir))
    assert manifest["database"]["kind"] == demo.db.dialect.name
    assert manifest["tables"]["timer"]["rows"] == counts["timer"]

    evidence = tmp_path / "restored-evidence"
    with fresh_database(demo.db.dialect.name, tmp_path) as restored:
        output = run(["restore", archive], restored, evidence)
        assert "every table matches the backup's manifest" in output
        assert fingerprint_database_of(restored) == fingerprint_database_of(demo.db)
        for model in COMPARED:  # row by row, so a checksum blind to some change cannot hide it
            assert rows_of(restored, model) == rows_of(demo.db, model), model.__name__
        assert ledger_of(restored) == ledger_of(demo.db)
        assert stored(evidence) == stored(demo.evidence_dir) and len(stored(evidence)) == 2

        # Restoring again is refused: the database is no longer empty, and is left as it is.
        other = tmp_path / "other-evidence"
        refused = run(["restore", archive], restored, other, ok=False)
        assert "the configured database is not empty" in refused
        assert rows_of(restored, Timer) == rows_of(demo.db, Timer) and not other.exists()


def fingerprint_database_of(db: Engine) -> dict[str, Any]:
    with db.connect() as connection:
        return fingerprint_database(connection)


def repack(source: Path, target: Path, manifest: Callable[[dict[str, Any]], None] | None = None,
           member: tuple[str, bytes] | None = None) -> None:
    """Copy the backup ``source`` to ``target``, editing its manifest or replacing (adding) one member."""
    with tarfile.open(source) as old, tarfile.open(target, "w:gz") as new:
        for info in old.getmembers():
            content = old.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == "manifest.json" and manifest is not None:
                edited = json.loads(content)
                manifest(edited)
                content = json.dumps(edited).encode()
            if member is not None and info.name == member[0]:
                content = member[1]
            info.size = len(content)
            new.addfile(info, io.BytesIO(content))
        if member is not None and member[0] not in old.getnames():  # added at the end
            extra = tarfile.TarInfo(member[0])
            extra.size = len(member[1])
            new.addfile(extra, io.BytesIO(member[1]))


def _timer_rows_plus_one(manifest: dict[str, Any]) -> None:
    manifest["tables"]["timer"]["rows"] += 1


def _another_database_hash(manifest: dict[str, Any]) -> None:
    manifest["database"]["sha256"] = "0" * 64


def _flip_a_byte(source: Path, target: Path) -> None:
    content = bytearray(source.read_bytes())
    content[len(content) // 2] ^= 0xFF
    target.write_bytes(bytes(content))


def _damages(good: Path, evidence_key: str) -> dict[str, tuple[Callable[[Path], None], str]]:
    """How a backup file gets damaged or altered, and what its restore is refused with."""
    damaged = "is not a readable backup: damaged or truncated"
    return {
        "truncated": (lambda bad: bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2]), damaged),
        "a byte flipped": (lambda bad: _flip_a_byte(good, bad), damaged),
        "not gzip": (lambda bad: bad.write_bytes(b"PK\x03\x04 a zip, not a backup"), damaged),
        "database hash altered": (lambda bad: repack(good, bad, manifest=_another_database_hash),
                                  "database.sqlite3 differ from the manifest's SHA-256"),
        "evidence file swapped": (lambda bad: repack(good, bad, member=(f"evidence/{evidence_key}", b"%PDF-1.4 x")),
                                  f"evidence/{evidence_key} differ from the manifest's SHA-256"),
        "unexpected member": (lambda bad: repack(good, bad, member=("../escape", b"x")), "unexpected member"),
    }


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)  # refused before the database is touched
def test_a_damaged_or_altered_backup_is_refused_and_nothing_is_left_behind(demo: DemoCli, tmp_path: Path) -> None:
    demo("claim", "1.2.1", "--user", "dzz")
    demo("complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "x"}', "--file", demo.sample("签到表.pdf"))
    good = tmp_path / "good.tar.gz"
    demo("backup", "-o", good)
    (key,) = stored(demo.evidence_dir)
    evidence = tmp_path / "restored-evidence"
    with fresh_database("sqlite", tmp_path) as restored:
        for name, (damage, refusal) in _damages(good, key).items():
            bad = tmp_path / f"{name}.tar.gz"
            damage(bad)
            assert refusal in run(["restore", bad], restored, evidence, ok=False), name
            assert inspect(restored).get_table_names() == [], name
            assert not evidence.exists() or stored(evidence) == {}, name
            assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == [], name  # no scratch left
        run(["restore", good], restored, evidence)  # the good one still restores there
        assert rows_of(restored, Evidence) == rows_of(demo.db, Evidence) and list(stored(evidence)) == [key]


def test_a_backup_whose_table_checksums_were_altered_is_undone_naming_the_table(demo: DemoCli, tmp_path: Path) -> None:
    # SQLite: found in the unpacked copy before it is installed; PostgreSQL: found after pg_restore
    # committed, and what it restored is dropped again (tables, sequences, the audit trigger's function).
    good, bad = tmp_path / "good.tar.gz", tmp_path / "bad.tar.gz"
    demo("backup", "-o", good)
    repack(good, bad, manifest=_timer_rows_plus_one)
    with fresh_database(demo.db.dialect.name, tmp_path) as restored:
        refused = run(["restore", bad], restored, tmp_path / "ev", ok=False)
        assert "differs from the manifest of" in refused and "in table(s) timer:" in refused
        assert inspect(restored).get_table_names() == []
        run(["restore", good], restored, tmp_path / "ev")  # nothing left in the way
        assert rows_of(restored, Timer) == rows_of(demo.db, Timer)


@pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)
def test_a_sqlite_backup_is_a_snapshot_while_another_process_writes(demo: DemoCli, tmp_path: Path) -> None:
    before = fingerprint_database_of(demo.db)["audit_log"].rows
    writer = sqlite3.connect(demo.db.url.database or "", isolation_level=None)
    try:  # the app, mid-transaction: its uncommitted row is not in the backup, and the backup does not wait
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("INSERT INTO audit_log (at, actor, action) VALUES ('2026-01-01 00:00:00', 'x', 'y')")
        demo("backup", "-o", tmp_path / "b.tar.gz")
        writer.execute("COMMIT")
    finally:
        writer.close()
    with tarfile.open(tmp_path / "b.tar.gz") as tar:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
    assert manifest["tables"]["audit_log"]["rows"] == before
    assert fingerprint_database_of(demo.db)["audit_log"].rows == before + 1
    assert "already exists" in demo("backup", "-o", tmp_path / "b.tar.gz", ok=False)  # never overwritten


def _dumped_by_pg_99(manifest: dict[str, Any]) -> None:
    manifest["database"]["pg_dump_version"] = [99, 0]


@pytest.mark.parametrize("demo_database", ["postgresql"], indirect=True)
def test_missing_or_too_old_postgresql_tools_are_named_and_nothing_is_written(demo: DemoCli, tmp_path: Path) -> None:
    archive = tmp_path / "b.tar.gz"
    missing = CliRunner().invoke(web.cli.main, ["backup", "-o", str(archive)], env={"PATH": str(tmp_path)})
    assert missing.exit_code == 1 and "pg_dump not found: install the PostgreSQL client tools" in missing.output
    assert list(tmp_path.iterdir()) == [demo.files]  # no backup file, no scratch folder
    demo("backup", "-o", archive)
    repack(archive, tmp_path / "newer.tar.gz", manifest=_dumped_by_pg_99)
    with fresh_database("postgresql", tmp_path) as restored:
        refused = run(["restore", tmp_path / "newer.tar.gz"], restored, tmp_path / "ev", ok=False)
        assert "the backup was made by pg_dump 99, this pg_restore is version" in refused
        assert inspect(restored).get_table_names() == []
