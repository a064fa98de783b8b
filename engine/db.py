"""Database plumbing shared by every layer: the declarative base and engine set-up.

SQLite is the embedded default (WAL, foreign keys, a busy timeout) and
PostgreSQL the production database; the same models serve both.

Waiting is bounded so that a command fails with a message rather than hanging: SQLite waits
``SQLITE_BUSY_TIMEOUT_SECONDS`` for another process's write lock, PostgreSQL
``PG_CONNECT_TIMEOUT_SECONDS`` for a connection. The URL may say otherwise with the
drivers' own parameters: ``sqlite:///rectiflow.db?timeout=5``,
``postgresql://host/db?connect_timeout=10``.
"""

from __future__ import annotations

import sqlite3
import time
from typing import Any

from sqlalchemy import JSON, MetaData, create_engine, event, exc
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker

NAMING = {
    "ix": "ix_%(column_0_N_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
PG_CONNECT_TIMEOUT_SECONDS = 5
# A pooled PostgreSQL connection idle this long is pinged before it is used again.
IDLE_PING_SECONDS = 10.0

# JSONB on PostgreSQL (indexable, compact); JSON text elsewhere.
JsonType = JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    """Base of every Rectiflow table, engine and domain alike."""

    metadata = MetaData(naming_convention=NAMING)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create a SQLAlchemy engine configured for Rectiflow's use of ``url``."""
    given = make_url(url).query
    if url.startswith("sqlite"):
        if "timeout" not in given:  # pysqlite's timeout is SQLite's busy timeout
            kwargs.setdefault("connect_args", {}).setdefault("timeout", SQLITE_BUSY_TIMEOUT_SECONDS)
        engine = create_engine(url, **kwargs)
        _configure_sqlite(engine)
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("postgresql") and "connect_timeout" not in given:
        kwargs.setdefault("connect_args", {}).setdefault("connect_timeout", PG_CONNECT_TIMEOUT_SECONDS)
    engine = create_engine(url, **kwargs)
    if not kwargs.get("pool_pre_ping"):
        _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before use only when it has sat idle for a while.

    SQLAlchemy's ``pool_pre_ping`` pings at every checkout: one more round trip in every unit of
    work. A connection just given back is as alive as it was; one idle longer than
    ``IDLE_PING_SECONDS`` may have been dropped by a server restart or a firewall, and is pinged
    (and replaced, with the pool's other connections of that age, if dead).
    """

    @event.listens_for(engine, "checkin")
    def _note_idle(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < IDLE_PING_SECONDS:
            return
        try:
            ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection (and older ones) and checks out a fresh one.
            raise exc.DisconnectionError(str(error)) from error


def ping(dbapi_connection: Any) -> None:
    """One round trip on a raw driver connection, leaving no transaction open."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("SELECT 1")
    finally:
        cursor.close()
    dbapi_connection.rollback()


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """The session factory every unit of work opens its session from."""
    return sessionmaker(bind=engine, expire_on_commit=False)


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT;
    # take over as SQLAlchemy's documentation recommends.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        if engine.url.database not in (None, "", ":memory:"):
            try:
                cursor.execute("PRAGMA journal_mode=WAL")
            except sqlite3.OperationalError as exc:
                # A read-only file still serves reads in the mode it is in; anything else is an error.
                if exc.sqlite_errorcode & 0xFF != sqlite3.SQLITE_READONLY:
                    raise
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")
