"""Reminders (督办提醒): which are due at a given time, to whom, each created once per cause.

The scheduler's work, with no actor: ``generate_reminders(session, now, settings)`` looks at the
running problems and creates the reminders that are due. Who gets what, and when:

* **临期预警 WARNING** — a measure not done (待整改/整改中/待审批) enters the warning window (its
  colour turns yellow by ``workflows.warnings.warning_for``, ``window_days``): to its officers.
  Cause ``warning:measure:<id>:<deadline>``, so a new deadline warns again.
* **逾期督办 OVERDUE** — the measure is overdue (red): to its officers and its responsible leader
  (the measure's, else the problem's). Cause ``overdue:measure:<id>:<deadline>``. A measure first
  seen already overdue (the scheduler was down through its window) gets no late warning.
* **逾期再次督办 OVERDUE_AGAIN** — while it stays overdue, again to each of them every
  ``repeat_days`` days after the last one they got: ``overdue_again:measure:<id>:<deadline>:<n>``
  (n = 1, 2, …). Days are China's calendar days; a scheduler that was down sends one, not a burst.
* **待核实提醒 AWAITING_VERIFICATION** — a problem's verification task (核实) has been open longer
  than ``verification_wait_days``: to the supervisor who claimed it, else to everyone in
  supervision. Once per task: ``awaiting_verification:problem:<id>:<task id>``.
* **挂牌督办 FLAGGED** — every China day while a problem has an active flag and is still being
  rectified (not 已销号/回头看/已巩固): to its responsible leaders (the problem's and its open
  measures') and the officers of its open officer tasks. Not to the supervisor who flagged it,
  who follows flags in the flagged list. ``flagged:problem:<id>:<flag id>:<China date>``.

"A measure's officers" are the people behind its open submit task (``reminder_people.People.behind``:
holder, else named user, else the officers of its unit); while the leader decides (待审批), the
officer who submitted it. Long-term problems are blue, never warned or overdue.

Created once across replicas: rows go in with ``INSERT … ON CONFLICT (recipient, cause) DO
NOTHING`` on the unique index ``ux_reminder_cause`` (SQLite and PostgreSQL alike), so two
schedulers creating the same reminder at the same moment store it once. The work is a fixed
number of statements whatever the number of measures (chunks of 500 beyond that).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload

from engine import HumanTask, InstanceStatus, ProcessInstance, TaskStatus

from .deadlines import china_date, end_of_day_utc
from .models import MailStatus, Measure, Person, Problem, ProblemFlag, Reminder, ReminderReason
from .models import ProblemStatus as S
from .reminder_people import People, last_submitters, logins_and_units
from .reminder_texts import (
    MeasureFacts,
    ProblemFacts,
    flag_body,
    flag_subject,
    measure_body,
    measure_subject,
    verification_body,
    verification_subject,
)
from .stages import Stage
from .status import ProblemState, derive
from .warnings import WarningColour, warning_for

# A measure is still being worked on in these statuses; a problem in these is no longer.
OPEN_MEASURE = frozenset({S.PENDING, S.IN_PROGRESS, S.AWAITING_APPROVAL, S.OVERDUE})
FINISHED_PROBLEM = frozenset({S.CLOSED, S.LOOK_BACK, S.CONSOLIDATED, S.NOT_STARTED})
OFFICER_STAGES = frozenset({Stage.MEASURE_SUBMIT.value, Stage.LONG_TERM_REPORT.value})
_CHUNK = 500
_CAUSE = ["recipient", "cause"]  # the unique index ux_reminder_cause


@dataclass(frozen=True)
class ReminderSettings:
    """When reminders fall due (``web.config``: WARNING_WINDOW_DAYS, REMINDER_REPEAT_DAYS,
    VERIFICATION_WAIT_DAYS) and whether new ones are to be mailed (SMTP configured)."""

    window_days: int = 10
    repeat_days: int = 7
    verification_wait_days: int = 7
    mail: bool = False


@dataclass(frozen=True)
class Draft:
    """A reminder about to be created."""

    recipient: Person
    reason: ReminderReason
    cause: str
    item_key: str
    problem_id: int
    subject: str
    body: str


def generate_reminders(session: Session, now: datetime, settings: ReminderSettings) -> int:
    """Create every reminder due at ``now`` that does not exist yet; returns how many were created.

    Flushes, never commits. Safe to run twice, or in two processes at once: a cause reminds
    each person once (``ux_reminder_cause``).
    """
    today = china_date(now)
    measures = _measures_near_deadline(session, today + timedelta(days=settings.window_days))
    flags = _active_flags(session)
    waiting = _waiting_verifications(session, now - timedelta(days=settings.verification_wait_days))
    problems = {m.problem.id: m.problem for m in measures} | {p.id: p for _, p in flags}
    states = derive(session, problems.values())
    submitters = last_submitters(session, [
        m.item_key for m in measures if states[m.problem_id].measures.get(m.id) == S.AWAITING_APPROVAL])
    open_tasks = [t for s in states.values() for t in s.open_tasks]
    logins, units = logins_and_units(open_tasks)
    logins |= set(submitters.values()) | {f.flagged_by for f, _ in flags}
    logins |= {t.assignee for t, _ in waiting if t.assignee}
    people = People(session, logins=logins, units=units, supervision=bool(waiting))
    plan = _Plan(now, today, settings, people, _existing(session, problems.keys() | {p.id for _, p in waiting},
                                                          since=now - timedelta(days=2)))
    for measure in measures:
        plan.measure(measure, states[measure.problem_id], submitters)
    for task, problem in waiting:
        plan.verification(task, problem)
    for flag, problem in flags:
        plan.flag(flag, problem, states[problem.id])
    return _insert(session, plan.drafts.values(), now, settings)


class _Plan:
    """The drafts of one run, deduplicated by (recipient, cause) and checked against what exists."""

    def __init__(self, now: datetime, today: date, settings: ReminderSettings, people: People,
                 existing: dict[str, dict[str, datetime]]) -> None:
        self.now, self.today, self.settings, self.people = now, today, settings, people
        self.existing = existing  # recipient -> cause -> created_at
        self.drafts: dict[tuple[str, str], Draft] = {}

    def add(self, draft: Draft) -> None:
        login = draft.recipient.login
        if draft.cause not in self.existing.get(login, {}):
            self.drafts.setdefault((login, draft.cause), draft)

    def measure(self, measure: Measure, state: ProblemState, submitters: dict[str, str]) -> None:
        """Warn or escalate one measure near or past its deadline."""
        status = state.measures.get(measure.id)
        if status not in OPEN_MEASURE or state.status in FINISHED_PROBLEM or measure.deadline is None:
            return
        warning = warning_for(end_of_day_utc(measure.deadline), self.now,
                              window_days=self.settings.window_days, long_term=False)
        if warning.colour not in (WarningColour.YELLOW, WarningColour.RED) or warning.days_left is None:
            return
        problem = measure.problem
        officers = self._officers(measure, state, submitters)
        leader = _active(measure.responsible_leader or problem.responsible_leader)
        facts = MeasureFacts(
            number=f"{problem.part.ordinal}.{problem.ordinal}.{measure.ordinal}", problem_title=problem.title,
            measure_text=measure.text, deadline=measure.deadline, days_left=warning.days_left,
            status=str(status), unit=_unit_name(measure), leader=leader.name if leader else "",
        )
        base = f"{measure.item_key}:{measure.deadline.isoformat()}"
        if warning.colour is WarningColour.YELLOW:
            for person in officers:
                self._measure_draft(person, ReminderReason.WARNING, f"warning:{base}", measure, facts)
            return
        for person in _distinct([*officers, leader]):
            self._overdue(person, base, measure, facts)

    def _overdue(self, person: Person, base: str, measure: Measure, facts: MeasureFacts) -> None:
        first = f"overdue:{base}"
        had = self.existing.get(person.login, {})
        if first not in had:
            self._measure_draft(person, ReminderReason.OVERDUE, first, measure, facts)
            return
        again = [at for cause, at in had.items() if cause.startswith(f"overdue_again:{base}:")]
        last = max([had[first], *again])
        if (self.today - china_date(last)).days >= self.settings.repeat_days:
            n = len(again) + 1
            self._measure_draft(person, ReminderReason.OVERDUE_AGAIN, f"overdue_again:{base}:{n}", measure,
                                facts, repeat=n)

    def _measure_draft(self, person: Person, reason: ReminderReason, cause: str, measure: Measure,
                       facts: MeasureFacts, *, repeat: int = 0) -> None:
        self.add(Draft(person, reason, cause, measure.item_key, measure.problem_id,
                       measure_subject(reason, facts), measure_body(reason, facts, person, repeat=repeat)))

    def _officers(self, measure: Measure, state: ProblemState, submitters: dict[str, str]) -> list[Person]:
        mine = [t for t in state.open_tasks if t.item_key == measure.item_key]
        submit = next((t for t in mine if t.stage == Stage.MEASURE_SUBMIT.value), None)
        if submit is not None:
            return self.people.behind(submit)
        if any(t.stage == Stage.MEASURE_APPROVE.value for t in mine):
            submitter = self.people.get(submitters.get(measure.item_key))
            return [submitter] if submitter is not None else []
        return []

    def verification(self, task: HumanTask, problem: Problem) -> None:
        """Tell supervision that ``problem`` has waited too long for verification."""
        waiting_since = china_date(task.created_at)
        waited = (self.today - waiting_since).days
        facts = _problem_facts(problem, S.AWAITING_VERIFICATION)
        holder = self.people.get(task.assignee)
        for person in [holder] if holder is not None else self.people.supervisors:
            self.add(Draft(person, ReminderReason.AWAITING_VERIFICATION,
                           f"awaiting_verification:{problem.item_key}:{task.id}", problem.item_key, problem.id,
                           verification_subject(facts, waited),
                           verification_body(facts, person, waiting_since=waiting_since, waited_days=waited)))

    def flag(self, flag: ProblemFlag, problem: Problem, state: ProblemState) -> None:
        """Today's reminder of a flagged problem (挂牌督办) to its leaders and officers."""
        if state.status in FINISHED_PROBLEM:
            return
        leaders = [problem.responsible_leader] + [
            m.responsible_leader for m in problem.measures if state.measures.get(m.id) in OPEN_MEASURE]
        officers = [p for t in state.open_tasks if t.stage in OFFICER_STAGES for p in self.people.behind(t)]
        recipients = _distinct([*map(_active, leaders), *officers])
        facts = _problem_facts(problem, state.status)
        days_left = (flag.deadline - self.today).days
        flagger = self.people.get(flag.flagged_by)
        for person in recipients:
            self.add(Draft(
                person, ReminderReason.FLAGGED, f"flagged:{problem.item_key}:{flag.id}:{self.today.isoformat()}",
                problem.item_key, problem.id, flag_subject(facts, flag.deadline, days_left),
                flag_body(facts, person, deadline=flag.deadline, days_left=days_left, reason=flag.reason,
                          flagged_by=flagger.name if flagger else flag.flagged_by,
                          flagged_on=china_date(flag.flagged_at)),
            ))


def _measures_near_deadline(session: Session, last_day: date) -> list[Measure]:
    """Measures of running, dated problems whose deadline is on or before ``last_day``."""
    query = (
        select(Measure).join(Measure.problem).join(ProcessInstance, ProcessInstance.id == Problem.instance_id)
        .where(ProcessInstance.status == InstanceStatus.RUNNING, Problem.long_term.is_(False),
               Measure.deadline.is_not(None), Measure.deadline <= last_day)
        .options(contains_eager(Measure.problem).joinedload(Problem.part),
                 contains_eager(Measure.problem).selectinload(Problem.measures),
                 selectinload(Measure.responsible_units))
        .order_by(Measure.id)
    )
    return list(session.scalars(query).unique())


def _active_flags(session: Session) -> list[tuple[ProblemFlag, Problem]]:
    query = (
        select(ProblemFlag, Problem).join(Problem, Problem.id == ProblemFlag.problem_id)
        .join(ProcessInstance, ProcessInstance.id == Problem.instance_id)
        .where(ProblemFlag.cleared_at.is_(None), ProcessInstance.status == InstanceStatus.RUNNING)
        .options(joinedload(Problem.part), selectinload(Problem.measures))
        .order_by(ProblemFlag.id)
    )
    return [(flag, problem) for flag, problem in session.execute(query).unique().tuples()]


def _waiting_verifications(session: Session, opened_before: datetime) -> list[tuple[HumanTask, Problem]]:
    query = (
        select(HumanTask, Problem).join(Problem, Problem.instance_id == HumanTask.instance_id)
        .where(HumanTask.stage == Stage.VERIFY.value, HumanTask.status == TaskStatus.OPEN,
               HumanTask.created_at <= opened_before)
        .options(joinedload(Problem.part))
        .order_by(HumanTask.id)
    )
    return [(task, problem) for task, problem in session.execute(query).unique().tuples()]


def _existing(session: Session, problem_ids: Iterable[int], *, since: datetime) -> dict[str, dict[str, datetime]]:
    """The reminders already made about these problems: recipient -> cause -> when.

    Daily flag reminders pile up, so only the recent ones are read: today's cause is all that
    a flag's check needs.
    """
    found: dict[str, dict[str, datetime]] = defaultdict(dict)
    ids = sorted(set(problem_ids))
    for start in range(0, len(ids), _CHUNK):
        query = select(Reminder.recipient, Reminder.cause, Reminder.created_at).where(
            Reminder.problem_id.in_(ids[start:start + _CHUNK]),
            or_(Reminder.reason != ReminderReason.FLAGGED, Reminder.created_at >= since),
        )
        for recipient, cause, created_at in session.execute(query).tuples():
            found[recipient][cause] = created_at
    return found


def _insert(session: Session, drafts: Iterable[Draft], now: datetime, settings: ReminderSettings) -> int:
    """Insert the drafts, skipping any (recipient, cause) another process stored meanwhile."""
    rows = [_row(draft, now, settings) for draft in drafts]
    dialect = session.get_bind().dialect.name
    created = 0
    for start in range(0, len(rows), _CHUNK):
        chunk = rows[start:start + _CHUNK]
        statement: postgresql.Insert | sqlite.Insert
        if dialect == "postgresql":
            statement = postgresql.insert(Reminder).values(chunk).on_conflict_do_nothing(index_elements=_CAUSE)
        elif dialect == "sqlite":
            statement = sqlite.insert(Reminder).values(chunk).on_conflict_do_nothing(index_elements=_CAUSE)
        else:
            raise RuntimeError(f"reminders need SQLite or PostgreSQL, not {dialect}")
        created += len(session.execute(statement.returning(Reminder.id)).all())
    return created


def _row(draft: Draft, now: datetime, settings: ReminderSettings) -> dict[str, Any]:
    mailed = settings.mail and bool((draft.recipient.email or "").strip())
    return {
        "recipient": draft.recipient.login, "reason": draft.reason, "cause": draft.cause,
        "item_key": draft.item_key, "problem_id": draft.problem_id, "subject": draft.subject,
        "body": draft.body, "created_at": now, "read_at": None,
        "mail_status": MailStatus.PENDING if mailed else MailStatus.NONE, "mail_attempts": 0,
        "mail_next_at": now if mailed else None, "mail_error": None, "mailed_at": None,
    }


def _active(person: Person | None) -> Person | None:
    return person if person is not None and person.active else None


def _unit_name(measure: Measure) -> str:
    units = measure.responsible_units
    if units:
        return "、".join(u.name for u in units)
    unit = measure.lead_unit or measure.problem.lead_unit
    return unit.name if unit is not None else ""


def _problem_facts(problem: Problem, status: S) -> ProblemFacts:
    leader = problem.responsible_leader
    return ProblemFacts(number=f"{problem.part.ordinal}.{problem.ordinal}", title=problem.title,
                        status=str(status), leader=leader.name if leader is not None else "")


def _distinct(people: Iterable[Person | None]) -> list[Person]:
    seen: dict[str, Person] = {}
    for person in people:
        if person is not None:
            seen.setdefault(person.login, person)
    return list(seen.values())
