"""Signing in with a throttle: too many wrong passwords lock the login name, or the address, for a while.

Two counters per attempt, in the ``login_throttle`` table so that every web
worker sees them: one for the login name as typed, one for the client address
(with a higher limit, because an office may share one address). When a counter
reaches its limit within the window, that name or address is locked; each
further lock that follows within ``max_lockout`` of the previous one lasts twice
as long, up to ``max_lockout``. While locked, even the right password is refused,
without being checked. A successful sign-in clears the login's counter; the
address counter is left to expire, so one good password cannot buy an attacker
a fresh budget of guesses.

Unknown logins are counted and locked exactly like real ones, with the same
messages and the same cost per attempt, so the throttle tells nobody which
logins exist. Every failure, lock and refused attempt goes to the audit log.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.audit import record

from .models import LoginThrottle, Person, ThrottleScope
from .people import authenticate
from .user_sessions import start_session

ACTOR_MAX = 100  # the audit log's actor column
UNKNOWN_ADDRESS = "unknown"


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures lock what, for how long (the web app builds it from its settings)."""

    account_failures: int = 5
    address_failures: int = 20
    window: timedelta = timedelta(minutes=15)
    first_lockout: timedelta = timedelta(minutes=1)
    max_lockout: timedelta = timedelta(hours=1)

    def limit(self, scope: ThrottleScope) -> int:
        """Failures within the window that lock a login name or an address."""
        return self.account_failures if scope == ThrottleScope.ACCOUNT else self.address_failures

    def lockout(self, lockouts: int) -> timedelta:
        """How long the ``lockouts``-th lock in a row lasts: doubling from the first, capped."""
        doubled = self.first_lockout * 2 ** min(max(lockouts - 1, 0), 32)  # 2**32 minutes dwarfs any cap
        return min(doubled, self.max_lockout)

    @property
    def retention(self) -> timedelta:
        """After this long without an update a counter can no longer matter (see ``_count_failure``)."""
        return self.window + 2 * self.max_lockout


@dataclass(frozen=True)
class SignInResult:
    """What a sign-in attempt gave: a person and a session token, or a refusal (locked or not)."""

    person: Person | None
    token: str | None = None
    locked_until: datetime | None = None


def sign_in(
    session: Session,
    login: str,
    password: str,
    *,
    address: str | None,
    at: datetime,
    policy: ThrottlePolicy,
    session_max_age: timedelta,
) -> SignInResult:
    """Check a login and password under the throttle; on success, start a server-side session.

    Flushes only; the caller commits, failures included, so the counters and audit
    entries of a failed attempt are kept.
    """
    login = login.strip()
    address = address or UNKNOWN_ADDRESS
    detail: dict[str, Any] = {"address": address}
    keys = ((ThrottleScope.ACCOUNT, login), (ThrottleScope.ADDRESS, address))
    # Always the account first, then the address: concurrent attempts take row locks in one order.
    counters = {scope: _load(session, scope, text) for scope, text in keys}
    locked_until = _locked_until(counters.values(), at)
    if locked_until is not None:
        record(session, at=at, actor=_actor(login), action="login_refused",
               detail={**detail, "locked_until": locked_until.isoformat()})
        session.flush()
        return SignInResult(None, locked_until=locked_until)

    person = authenticate(session, login, password)
    if person is not None:
        session.execute(delete(LoginThrottle).where(
            LoginThrottle.scope == ThrottleScope.ACCOUNT, LoginThrottle.key == _key(login)))
        return SignInResult(person, token=start_session(session, person, at=at, max_age=session_max_age))

    record(session, at=at, actor=_actor(login), action="login_failed", detail=detail)
    new_lock: datetime | None = None
    for scope, text in keys:
        counter = counters[scope] or _create(session, scope, text, at)
        until = _count_failure(counter, at, policy)
        if until is not None:
            new_lock = max(new_lock or until, until)
            record(session, at=at, actor=_actor(login), action="login_locked",
                   detail={**detail, "scope": scope.value, "locked_until": until.isoformat(),
                           "lockouts": counter.lockouts})
    session.flush()
    _purge_stale(session, at, policy)  # after the flush: this attempt's counters are fresh, never purged
    return SignInResult(None, locked_until=new_lock)


def _count_failure(counter: LoginThrottle, at: datetime, policy: ThrottlePolicy) -> datetime | None:
    """Add one failure to ``counter``; returns the end of the lock it starts, if it starts one."""
    if counter.locked_until is not None and counter.locked_until > at:
        return None  # a concurrent attempt locked it meanwhile: this one must not start a second lock
    if counter.window_start is None or at - counter.window_start >= policy.window:
        counter.failures, counter.window_start = 0, at
    counter.failures += 1
    counter.updated_at = at
    if counter.failures < policy.limit(counter.scope):
        return None
    if counter.locked_until is not None and at - counter.locked_until >= policy.max_lockout:
        counter.lockouts = 0  # quiet for a whole maximum lock since the last one: start again at the first
    counter.lockouts += 1
    counter.locked_until = at + policy.lockout(counter.lockouts)
    counter.failures, counter.window_start = 0, None
    return counter.locked_until


def _locked_until(counters: Any, at: datetime) -> datetime | None:
    ends = [c.locked_until for c in counters if c is not None and c.locked_until is not None and c.locked_until > at]
    return max(ends, default=None)


def _load(session: Session, scope: ThrottleScope, text: str) -> LoginThrottle | None:
    # FOR UPDATE (PostgreSQL): two workers counting the same login cannot both read 4 and write 5.
    return session.scalar(
        select(LoginThrottle).where(LoginThrottle.scope == scope, LoginThrottle.key == _key(text)).with_for_update()
    )


def _create(session: Session, scope: ThrottleScope, text: str, at: datetime) -> LoginThrottle:
    counter = LoginThrottle(scope=scope, key=_key(text), failures=0, lockouts=0, updated_at=at)
    try:
        with session.begin_nested():  # another worker may insert the same counter first
            session.add(counter)
    except IntegrityError:
        found = _load(session, scope, text)
        if found is None:  # pragma: no cover - the conflicting row vanished again
            raise
        return found
    return counter


def _purge_stale(session: Session, at: datetime, policy: ThrottlePolicy) -> None:
    """Drop counters too old to lock anything again, so sprayed login names do not pile up."""
    cutoff = at - policy.retention
    session.execute(delete(LoginThrottle).where(
        LoginThrottle.updated_at < cutoff,
        or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < cutoff),
    ))


def _key(text: str) -> str:
    # A hash: fixed length whatever was typed, and NUL or other odd characters cannot reach the database.
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _actor(login: str) -> str:
    """The audit log's actor for an attempt: the login as typed (printable, cut to fit) or "anonymous"."""
    printable = "".join(ch for ch in login if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF)
    return printable[:ACTOR_MAX] or "anonymous"
