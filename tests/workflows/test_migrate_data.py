"""``rectiflow migrate-data --to postgresql://…``: a populated SQLite installation copied into PostgreSQL,
every row equal (checksums and row by row), sequences moved on, all or nothing."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, inspect, select, text
from sqlalchemy.orm import Session

import web.cli
import workflows.data_migration
from engine import HumanTask
from engine.models import AuditEntry
from workflows.models import Unit
from workflows.table_checksums import TableFingerprint, differing_tables

from ..conftest import ROOT, _postgres_engine
from .demo_cli import DemoCli
from .demo_template import demo_copy_fixture  # noqa: F401  (``demo``: a copy of the loaded demo)
from .test_backup_restore import COMPARED, fingerprint_database_of, ledger_of, populate, rows_of, run, url_of

pytestmark = pytest.mark.parametrize("demo_database", ["sqlite"], indirect=True)  # the source is SQLite
RECTIFLOW = ROOT / ".venv" / "bin" / "rectiflow"


def test_a_populated_sqlite_installation_is_copied_into_postgresql_row_for_row(demo: DemoCli, tmp_path: Path) -> None:
    populate(demo)
    with _postgres_engine() as target:
        env = {**os.environ, "RECTIFLOW_DATABASE_URL": url_of(demo.db),
               "RECTIFLOW_EVIDENCE_DIR": str(demo.evidence_dir), "RECTIFLOW_INSTANCE_PATH": str(tmp_path / "instance")}
        done = subprocess.run([RECTIFLOW, "migrate-data", "--to", url_of(target)], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=120, check=False)
        assert done.returncode == 0, done.stdout + done.stderr
        source = fingerprint_database_of(demo.db)
        lines = done.stdout.splitlines()
        for name, fingerprint in source.items():  # table, rows, checksum, equal
            assert [name, str(fingerprint.rows), fingerprint.checksum[:16], "yes"] in [line.split() for line in lines]
        assert f"{len(source)} tables, {sum(f.rows for f in source.values())} rows; 0 differ" in lines
        assert source["timer"].rows > 0 and source["evidence"].rows == 2 and source["audit_log"].rows > 20

        assert fingerprint_database_of(target) == source
        for model in COMPARED:
            assert rows_of(target, model) == rows_of(demo.db, model), model.__name__
        assert ledger_of(target) == ledger_of(demo.db)
        with Session(target) as pg, Session(demo.db) as lite:  # SQL NULL stays NULL, not a JSON null
            nulls = select(func.count()).where(HumanTask.data.is_(None))
            assert pg.scalar(nulls) == lite.scalar(nulls) > 0

        # The app runs on the copy: same ledger, and a new row gets the next id (sequences moved on).
        on_target, on_source = (json.loads(run(["ledger", "--json"], db, demo.evidence_dir))["rows"]
                                for db in (target, demo.db))
        assert on_target == on_source and len(on_target) == 43
        with Session(target) as pg:
            highest = pg.scalar(select(func.max(Unit.id)))
            unit = Unit(code="NEW", name="新单位")
            pg.add(unit)
            pg.add(AuditEntry(at=datetime.now(UTC), actor="admin", action="unit.added"))
            pg.commit()
            assert unit.id == highest + 1

        # The checksums see a one-microsecond change, and SQL NULL turned into a JSON null.
        with target.begin() as connection:
            connection.execute(text("UPDATE timer SET due_at = due_at + interval '1 microsecond' "
                                    "WHERE id = (SELECT min(id) FROM timer)"))
            connection.execute(text("UPDATE human_task SET data = 'null'::jsonb "
                                    "WHERE id = (SELECT min(id) FROM human_task WHERE data IS NULL)"))
        assert differing_tables(source, fingerprint_database_of(target)) == ["audit_log", "human_task", "timer",
                                                                             "unit"]
        again = run(["migrate-data", "--to", url_of(target)], demo.db, demo.evidence_dir, ok=False)
        assert "the target database is not empty" in again


def test_a_target_that_is_not_empty_or_not_postgresql_is_refused_untouched(demo: DemoCli, tmp_path: Path) -> None:
    with _postgres_engine() as target:
        with target.begin() as connection:
            connection.execute(text("CREATE TABLE stray (x integer)"))
        refused = run(["migrate-data", "--to", url_of(target)], demo.db, demo.evidence_dir, ok=False)
        assert "the target database is not empty" in refused and "stray" in refused
        assert inspect(target).get_table_names() == ["stray"]
        assert "--to must be a PostgreSQL URL" in run(["migrate-data", "--to", f"sqlite:///{tmp_path}/x.db"], demo.db,
                                                      demo.evidence_dir, ok=False)
        # A SQLite backup is not restored into PostgreSQL: migrate-data is the way.
        demo("backup", "-o", tmp_path / "b.tar.gz")
        with target.begin() as connection:
            connection.execute(text("DROP TABLE stray"))
        refused = run(["restore", tmp_path / "b.tar.gz"], target, tmp_path / "ev", ok=False)
        assert "backup of a SQLite database" in refused and "migrate-data --to postgresql://" in refused


def test_a_copy_found_different_is_not_kept(demo: DemoCli, monkeypatch: pytest.MonkeyPatch) -> None:
    real = workflows.data_migration.fingerprint_database
    calls: list[str] = []

    def one_side_wrong(connection):  # type: ignore[no-untyped-def]
        found = real(connection)
        calls.append(connection.dialect.name)
        if connection.dialect.name == "postgresql":  # as if a row had been lost on the way
            timer = found["timer"]
            found["timer"] = TableFingerprint("timer", timer.rows - 1, timer.checksum)
        return found

    monkeypatch.setattr(workflows.data_migration, "fingerprint_database", one_side_wrong)
    with _postgres_engine() as target:
        result = CliRunner().invoke(web.cli.main, ["migrate-data", "--to", url_of(target)],
                                    env={"RECTIFLOW_DATABASE_URL": url_of(demo.db)}, catch_exceptions=False)
        assert result.exit_code == 1, result.output
        assert "the copy differs from the source: nothing was kept on the target" in result.output
        assert [line.split()[-1] for line in result.output.splitlines() if line.startswith("timer ")] == ["NO"]
        assert calls == ["sqlite", "postgresql"]
        assert inspect(target).get_table_names() == []  # schema and rows rolled back together
