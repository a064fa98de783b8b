"""A problem's history: who did what, when, with what data and evidence, in a constant number of queries.

The audit log is the spine: every change to a problem's lifecycle instance is one entry in the
order it happened (start, claim, release, reassignment, amendment, completion). A completion
is shown with its task (the step and the measure it was about), the values it submitted as
the form declares them (a return reason, a failed verification's new deadline) and the evidence
files it carried. Overdue measures (a timer, not a person) come from the process events.
Supervision's flag and unflag (挂牌督办, ``workflows.flags``) are audit entries on the instance too:
``problem_flagged`` / ``problem_unflagged``, with the reason and the 督办时限 in ``detail``.

Five queries whatever the length: tasks, audit entries, events, evidence, people's names.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HumanTask, ProcessEvent
from engine.models import AuditEntry

from . import forms
from .deadlines import china_date
from .evidence import evidence_for_instance
from .form_fields import Kind
from .models import Evidence, Person

# Audit actions shown; others (a timer firing, an incident) are the machine's, told by events.
SHOWN_ACTIONS = frozenset({"start", "claim", "unclaim", "reassign", "amend", "complete",
                           "problem_flagged", "problem_unflagged"})
FLAG_ACTIONS = frozenset({"problem_flagged", "problem_unflagged"})  # workflows.flags
# Events no person's action already tells (an approval or a failed verification is its completion).
SHOWN_EVENTS = frozenset({"measure_overdue"})


@dataclass(frozen=True)
class ShownValue:
    """One submitted value as its form declares it: the field's label key and how to show the value.

    Exactly one of ``text`` (text, a date), ``choice_key`` (a choice's label key) and ``flag`` is set.
    """

    name: str
    label_key: str
    text: str | None = None
    choice_key: str | None = None
    flag: bool | None = None


@dataclass
class HistoryEntry:
    """One thing that happened to the problem.

    ``action`` is an audit action (``start``, ``claim``, ``unclaim``, ``reassign``, ``amend``,
    ``complete``, ``problem_flagged``, ``problem_unflagged``) or ``event:<name>`` for a process
    event. ``people`` maps the logins it names (actor, reassignment's from/to) to names.
    """

    at: datetime
    action: str
    actor: str
    actor_name: str
    task: HumanTask | None = None
    values: list[ShownValue] = field(default_factory=list)
    evidence: list[Evidence] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)
    item_key: str | None = None
    names: dict[str, str] = field(default_factory=dict)

    @property
    def reason(self) -> str | None:
        """The reason given with a reassignment, an amendment, a flag or an unflag, if any."""
        reason = self.detail.get("reason")
        return reason if isinstance(reason, str) else None

    @property
    def flag_deadline(self) -> str | None:
        """The 督办时限 (``2027-04-30``) of a flag or an unflag entry, else None."""
        deadline = self.detail.get("deadline") if self.action in FLAG_ACTIONS else None
        return deadline if isinstance(deadline, str) else None


def problem_history(session: Session, instance_id: int, *, newest_first: bool = True) -> list[HistoryEntry]:
    """Everything that happened in one problem's lifecycle instance, newest first by default."""
    tasks = {t.id: t for t in session.scalars(select(HumanTask).where(HumanTask.instance_id == instance_id))}
    audits = list(session.scalars(
        select(AuditEntry)
        .where(AuditEntry.instance_id == instance_id, AuditEntry.action.in_(SHOWN_ACTIONS))
        .order_by(AuditEntry.id)
    ))
    events = list(session.scalars(
        select(ProcessEvent)
        .where(ProcessEvent.instance_id == instance_id, ProcessEvent.name.in_(SHOWN_EVENTS))
        .order_by(ProcessEvent.id)
    ))
    evidence_by_task: dict[int, list[Evidence]] = defaultdict(list)
    for evidence in evidence_for_instance(session, instance_id):
        if evidence.task_id is not None:
            evidence_by_task[evidence.task_id].append(evidence)
    names = people_names(session, _logins(audits))

    timeline: list[tuple[tuple[datetime, int, int], HistoryEntry]] = []
    for audit in audits:
        task = tasks.get(audit.task_id) if audit.task_id is not None else None
        entry = HistoryEntry(
            at=audit.at, action=audit.action, actor=audit.actor, actor_name=names.get(audit.actor, audit.actor),
            task=task, detail=dict(audit.detail or {}) if audit.action != "complete" else {},
            item_key=task.item_key if task is not None else None, names=names,
        )
        if audit.action == "complete" and task is not None:
            entry.values = shown_values(task.form_key, task.data or audit.detail or {})
            entry.evidence = evidence_by_task.get(task.id, [])
        timeline.append(((audit.at, 0, audit.id), entry))
    for event in events:
        entry = HistoryEntry(at=event.at, action=f"event:{event.name}", actor="system", actor_name="",
                             item_key=event.item_key, names=names)
        timeline.append(((event.at, 1, event.id), entry))
    timeline.sort(key=lambda pair: pair[0], reverse=newest_first)
    return [entry for _, entry in timeline]


def shown_values(form_key: str | None, data: dict[str, Any]) -> list[ShownValue]:
    """The submitted ``data`` as the form declares it, in its order; empty values and files left out
    (files are shown as the evidence rows themselves)."""
    form = forms.FORMS.get(form_key or "")
    if form is None:
        return []
    shown = []
    for declared in form.fields:
        value = data.get(declared.name)
        if declared.kind is Kind.FILES or value is None or value == "":
            continue
        if declared.kind is Kind.CHOICE:
            choice = next((c for c in declared.choices if c.value == value), None)
            if choice is not None:
                shown.append(ShownValue(declared.name, declared.label_key, choice_key=choice.label_key))
                continue
        if declared.kind is Kind.BOOL:
            if value is True:  # an unticked box says nothing worth showing
                shown.append(ShownValue(declared.name, declared.label_key, flag=True))
            continue
        if declared.kind is Kind.DATE and isinstance(value, str):
            value = _day(value)
        shown.append(ShownValue(declared.name, declared.label_key, text=str(value)))
    return shown


def _day(value: str) -> str:
    """A stored deadline (end of its day in China, UTC) as the day that was typed."""
    try:
        return china_date(datetime.fromisoformat(value)).isoformat()
    except ValueError:
        return value


def people_names(session: Session, logins: set[str]) -> dict[str, str]:
    """Names of the people with these logins (one query); logins without a person are left out."""
    wanted = {login for login in logins if login}
    if not wanted:
        return {}
    return dict(session.execute(select(Person.login, Person.name).where(Person.login.in_(wanted))).tuples().all())


def _logins(audits: list[AuditEntry]) -> set[str]:
    logins = {audit.actor for audit in audits}
    for audit in audits:
        if audit.action == "reassign" and audit.detail:
            logins.update(str(audit.detail[k]) for k in ("from", "to") if audit.detail.get(k))
    return logins
