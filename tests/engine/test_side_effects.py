"""Side effects queued on a session run after its commit, and never after a rollback or a failed commit."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from engine.side_effects import commit_then_run, rollback_and_discard, side_effects
from workflows.models import Unit
from workflows.people import create_unit, unit_by_code


def _stored(sessions: sessionmaker[Session], code: str) -> bool:
    with sessions() as session:
        return unit_by_code(session, code) is not None


def test_commit_then_run_runs_the_queue_in_order_after_the_commit(
    committing_sessions: sessionmaker[Session],
) -> None:
    sent: list[str] = []
    with committing_sessions() as session:
        create_unit(session, "C1", "单位一")
        side_effects(session).add(lambda: sent.append(f"first, stored={_stored(committing_sessions, 'C1')}"))
        side_effects(session).add(lambda: sent.append("second"))
        assert sent == []  # queued, not sent
        assert commit_then_run(session) == 0
    assert sent == ["first, stored=True", "second"]


def test_rollback_drops_the_queue(committing_sessions: sessionmaker[Session]) -> None:
    sent: list[str] = []
    with committing_sessions() as session:
        create_unit(session, "R1", "单位一")
        side_effects(session).add(lambda: sent.append("rolled back"))
        rollback_and_discard(session)
        # The next unit of work on the same session starts with an empty queue.
        create_unit(session, "R2", "单位二")
        side_effects(session).add(lambda: sent.append("committed"))
        commit_then_run(session)
    assert sent == ["committed"]
    assert not _stored(committing_sessions, "R1") and _stored(committing_sessions, "R2")


def test_a_failed_commit_drops_the_queue_and_raises(committing_sessions: sessionmaker[Session]) -> None:
    with committing_sessions.begin() as session:
        create_unit(session, "DUP", "已有单位")
    sent: list[str] = []
    with committing_sessions() as session:
        session.add(Unit(code="DUP", name="重复单位"))  # fails only when the commit flushes it
        side_effects(session).add(lambda: sent.append("duplicate added"))
        with pytest.raises(IntegrityError):
            commit_then_run(session)
        assert sent == [] and len(side_effects(session)) == 0
        assert unit_by_code(session, "DUP") is not None  # rolled back, so the session still works


def test_a_failing_effect_is_logged_and_the_rest_still_run(
    committing_sessions: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    sent: list[str] = []

    def broken() -> None:
        raise ConnectionRefusedError("mail server down")

    with committing_sessions() as session:
        create_unit(session, "F1", "单位一")
        side_effects(session).add(broken)
        side_effects(session).add(lambda: sent.append("after the broken one"))
        with caplog.at_level(logging.ERROR, logger="engine.side_effects"):
            assert commit_then_run(session) == 1
    assert sent == ["after the broken one"]
    assert _stored(committing_sessions, "F1")
    assert any(record.exc_info and "mail server down" in str(record.exc_info[1]) for record in caplog.records)
