"""Pooled PostgreSQL connections: pinged before use only after sitting idle, and replaced if dead.

The ping costs a round trip, so it is not paid in every unit of work (a connection just given
back is as alive as it was); a connection that sat idle may have been dropped by a server restart,
and then the next unit of work must still succeed on a fresh connection.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import OperationalError

from engine import db

from ..conftest import _postgres_engine


@pytest.fixture(name="db_engine", scope="module")
def postgresql_engine() -> Iterator[Engine]:
    """PostgreSQL only: the pool's ping is about server connections (SQLite has none to lose)."""
    with _postgres_engine() as engine:
        yield engine


def _pg(db_engine: Engine) -> Engine:
    # A pool of its own, one connection, so the test knows which backend the next checkout gets.
    return db.make_engine(db_engine.url.render_as_string(hide_password=False), pool_size=1, max_overflow=0)


def _kill_pooled_backend(engine: Engine, admin: Engine) -> None:
    with engine.connect() as conn:
        pid = conn.scalar(text("SELECT pg_backend_pid()"))
    with admin.connect() as conn:
        conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        conn.commit()


def _pings(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    seen: list[object] = []
    real = db.ping

    def counted(dbapi_connection: object) -> None:
        seen.append(dbapi_connection)
        real(dbapi_connection)

    monkeypatch.setattr(db, "ping", counted)
    return seen


def test_a_connection_given_back_just_now_is_used_without_a_ping(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _pg(db_engine)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 2"))
        pings = _pings(monkeypatch)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT 3")) == 3
        assert pings == []
    finally:
        engine.dispose()


def test_an_idle_connection_that_died_is_replaced_before_the_unit_of_work(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _pg(db_engine)
    try:
        _kill_pooled_backend(engine, db_engine)
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)
        pings = _pings(monkeypatch)
        with engine.connect() as conn:
            assert conn.scalar(text("SELECT 4")) == 4
        assert len(pings) == 1  # the dead connection failed its ping; the fresh one needs none
    finally:
        engine.dispose()


def test_without_the_idle_ping_the_dead_connection_would_fail_the_unit_of_work(
    db_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = _pg(db_engine)
    try:
        _kill_pooled_backend(engine, db_engine)
        monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
        with pytest.raises(OperationalError), engine.connect() as conn:
            conn.execute(text("SELECT 5"))
    finally:
        engine.dispose()
