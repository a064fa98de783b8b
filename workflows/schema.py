"""Bringing a database's schema up to date with Alembic."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"
BPMN_DIR = Path(__file__).resolve().parent.parent / "bpmn"


def upgrade(db_engine: Engine, revision: str = "head") -> None:
    """Apply every migration up to ``revision`` on ``db_engine``'s database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with db_engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def deploy_bundled(session, engine, actor: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Deploy every diagram in ``bpmn/``; returns one line per process (new version or unchanged)."""
    lines = []
    for path in sorted(BPMN_DIR.glob("*.bpmn")):
        for result in engine.deploy_path(session, path, actor=actor):
            d = result.definition
            state = "deployed" if result.created else "unchanged"
            lines.append(f"{d.process_key} v{d.version} ({path.name}): {state}")
    return lines
