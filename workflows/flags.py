"""Flagged supervision (挂牌督办): supervision puts a problem under its own watch with a reason and a
tighter deadline (督办时限), and lifts the flag when it is no longer needed.

The rules:

* Only supervision (督查) or an administrator flags and unflags; both need a reason.
* The 督办时限 is today or later (in China's calendar) and no later than the problem's latest
  measure deadline when one is set: a flag tightens the time, it never grants more. When every
  deadline has already passed (an overdue problem, the usual one to flag) nothing later is
  tighter, so any date from today is taken; the measures stay overdue (red) all the same.
* A problem has at most one active flag. Flagging a flagged problem is refused (the message says
  who flagged it and until when): to change the reason or the deadline, unflag and flag again,
  so the audit log tells every step. A closed problem (已销号, 回头看, 已巩固) cannot be flagged.
* Every flag and unflag is an audit entry (``problem_flagged`` / ``problem_unflagged``) on the
  problem's lifecycle instance, so the problem's history shows it; its detail names the problem
  (id and ledger number), the reason and the 督办时限.

The ledger carries the active flag of each problem (``workflows.ledger.view``) and its 督办时限
counts in the problem's warning colour (``workflows.warnings``); the daily reminders of flagged
problems read the ``problem_flag`` table (``workflows.reminders``). Services flush, never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import Actor, NotAllowed
from engine.audit import record

from .deadlines import china_date
from .errors import ValidationError
from .history import people_names
from .models import InspectionRound, Part, Problem, ProblemFlag, Role
from .status import derive
from .task_lookup import find_problem, parse_task_ref
from .text_checks import check_text
from .warnings import CLOSED, DeadlineWarning

FLAGGED, UNFLAGGED = "problem_flagged", "problem_unflagged"  # the audit actions
MAX_REASON = 2000
_FLAGGERS = frozenset({Role.SUPERVISION.value, Role.ADMIN.value})


@dataclass(frozen=True)
class FlagNote:
    """A problem's active flag as the ledger shows it: why, by when, who flagged it and when,
    and the warning colour of its 督办时限 (None without a clock, or once the problem is closed)."""

    id: int
    reason: str
    deadline: date
    by: str  # the flagger's name (their login when unknown)
    by_login: str
    at: datetime
    warning: DeadlineWarning | None = None

    @property
    def text(self) -> str:
        """``督办时限2027-04-30：整改进度滞后`` (the Excel cell and the ledger's list)."""
        return f"督办时限{self.deadline.isoformat()}：{self.reason}"


def may_flag(actor: Actor) -> bool:
    """Whether ``actor`` may flag and unflag problems: supervision or an administrator."""
    return bool(_FLAGGERS & actor.groups)


def problem_number(problem: Problem) -> str:
    """The problem's ledger number, e.g. ``2.1``."""
    return f"{problem.part.ordinal}.{problem.ordinal}"


def problem_by_number(session: Session, round_: InspectionRound, text: str) -> Problem:
    """The problem numbered ``text`` (``2.1``) in ``round_``; ValidationError for a measure's number
    or a task id, NotFoundError when the round has no such problem."""
    ref = parse_task_ref(text)
    if ref.number is None or ref.number.measure is not None:
        shown = text.strip()[:40]
        hint = f"; its problem is {ref.number.problem_number}" if ref.number is not None else ""
        raise ValidationError(f"a flag names a problem by its ledger number, e.g. 2.1, not {shown!r}{hint}")
    problem, _ = find_problem(session, round_, ref.number)
    return problem


def active_flag(session: Session, problem: Problem) -> ProblemFlag | None:
    """The problem's active (not cleared) flag, if any."""
    return session.scalar(select(ProblemFlag).where(ProblemFlag.problem_id == problem.id,
                                                    ProblemFlag.cleared_at.is_(None)).order_by(ProblemFlag.id))


def flag(session: Session, problem: Problem, *, reason: str, deadline: date, actor: Actor,
         at: datetime) -> ProblemFlag:
    """Flag ``problem`` for supervision (挂牌督办) with ``reason`` and the 督办时限 ``deadline``.

    Refused (``NotAllowed``) unless the actor is supervision or an administrator; refused
    (``ValidationError``) without a reason, for a deadline before today or after the problem's
    latest measure deadline, for a closed problem and for a problem already flagged. Audited.
    """
    number = problem_number(problem)
    if not may_flag(actor):
        raise NotAllowed(f"{actor.key} may not flag problem {number}: only supervision (督查) or an "
                         "administrator may")
    reason = _reason(reason, "flag", number)
    today = china_date(at)
    if deadline < today:
        raise ValidationError(f"the 督办时限 {deadline.isoformat()} has already passed (today is "
                              f"{today.isoformat()}); give today or a later date")
    latest = max((m.deadline for m in problem.measures if m.deadline is not None), default=None)
    if latest is not None and today <= latest < deadline:
        raise ValidationError(f"the 督办时限 {deadline.isoformat()} is later than problem {number}'s latest "
                              f"measure deadline {latest.isoformat()}; a flag's deadline must be the same or "
                              "earlier")
    _lock(session, problem)
    status = derive(session, [problem])[problem.id].status
    if status in CLOSED:
        raise ValidationError(f"problem {number} is {status.value}: there is nothing left to supervise")
    current = active_flag(session, problem)
    if current is not None:
        by = people_names(session, {current.flagged_by}).get(current.flagged_by, current.flagged_by)
        raise ValidationError(
            f"problem {number} is already flagged (督办时限 {current.deadline.isoformat()}, by {by} on "
            f"{china_date(current.flagged_at).isoformat()}); unflag it first to change the reason or deadline")
    flagged = ProblemFlag(problem_id=problem.id, reason=reason, deadline=deadline, flagged_by=actor.key,
                          flagged_at=at)
    session.add(flagged)
    session.flush()
    record(session, at=at, actor=actor.key, action=FLAGGED, instance_id=problem.instance_id,
           detail={"problem_id": problem.id, "number": number, "flag_id": flagged.id, "reason": reason,
                   "deadline": deadline.isoformat()})
    session.flush()
    return flagged


def unflag(session: Session, problem: Problem, *, actor: Actor, at: datetime, reason: str) -> ProblemFlag:
    """Lift ``problem``'s active flag, with ``reason``; the same people as ``flag`` may. Audited.

    Refused (``ValidationError``) without a reason or when the problem is not flagged.
    """
    number = problem_number(problem)
    if not may_flag(actor):
        raise NotAllowed(f"{actor.key} may not unflag problem {number}: only supervision (督查) or an "
                         "administrator may")
    reason = _reason(reason, "unflag", number)
    _lock(session, problem)
    current = active_flag(session, problem)
    if current is None:
        raise ValidationError(f"problem {number} is not flagged")
    current.cleared_by, current.cleared_at, current.clear_reason = actor.key, at, reason
    record(session, at=at, actor=actor.key, action=UNFLAGGED, instance_id=problem.instance_id,
           detail={"problem_id": problem.id, "number": number, "flag_id": current.id, "reason": reason,
                   "deadline": current.deadline.isoformat()})
    session.flush()
    return current


def round_flags(session: Session, round_: InspectionRound, *, include_cleared: bool = False) -> list[ProblemFlag]:
    """The round's flags in ledger order (part, problem, then oldest first): the active ones, or all."""
    query = (select(ProblemFlag).join(Problem, ProblemFlag.problem_id == Problem.id)
             .join(Part, Problem.part_id == Part.id).where(Part.round_id == round_.id)
             .order_by(Part.ordinal, Problem.ordinal, ProblemFlag.id))
    if not include_cleared:
        query = query.where(ProblemFlag.cleared_at.is_(None))
    return list(session.scalars(query))


def active_flags(session: Session, round_: InspectionRound) -> list[ProblemFlag]:
    """The round's active flags in ledger order."""
    return round_flags(session, round_)


def active_flags_by_problem(session: Session, problem_ids: list[int], chunk: int = 500) -> dict[int, ProblemFlag]:
    """The active flag of each of these problems that has one (a query per ``chunk`` problems)."""
    found: dict[int, ProblemFlag] = {}
    for start in range(0, len(problem_ids), chunk):
        query = select(ProblemFlag).where(ProblemFlag.problem_id.in_(problem_ids[start:start + chunk]),
                                          ProblemFlag.cleared_at.is_(None)).order_by(ProblemFlag.id)
        found.update((f.problem_id, f) for f in session.scalars(query))
    return found


def flag_note(row: ProblemFlag, names: dict[str, str], warning: DeadlineWarning | None = None) -> FlagNote:
    """``row`` as the ledger shows it, the flagger named from ``names`` (login → name)."""
    return FlagNote(id=row.id, reason=row.reason, deadline=row.deadline,
                    by=names.get(row.flagged_by, row.flagged_by), by_login=row.flagged_by, at=row.flagged_at,
                    warning=warning)


def _reason(reason: str, what: str, number: str) -> str:
    check_text(reason, "the reason", MAX_REASON)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(f"to {what} problem {number} give a reason (--reason)")
    return reason


def _lock(session: Session, problem: Problem) -> None:
    """Hold the problem's row (PostgreSQL) so two supervisors cannot both flag it at once."""
    session.execute(select(Problem.id).where(Problem.id == problem.id).with_for_update())
