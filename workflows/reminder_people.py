"""Who a reminder goes to: the people behind a task's candidate rule, loaded for a whole round at once.

The recipients of a task follow the engine's candidate rule (``engine.models.task_is_claimable_by``):
the person who holds it; else the user it names; else every officer of the unit it is offered
to. A task offered to a group without a unit would reach every officer of every unit, so it
reminds nobody (an administrator gives it a unit with ``rectiflow fill-in``).
Only active people are reminded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import HumanTask, TaskStatus

from .models import Person, Role, Unit
from .stages import Stage

_CHUNK = 500


class People:
    """Active people by login, officers by unit code, and supervision: a few queries in all."""

    def __init__(self, session: Session, *, logins: Iterable[str], units: Iterable[str],
                 supervision: bool) -> None:
        self.by_login: dict[str, Person] = {}
        self.officers: dict[str, list[Person]] = defaultdict(list)
        self.supervisors: list[Person] = []
        for chunk in _chunks(sorted(set(logins))):
            for person in session.scalars(select(Person).where(Person.login.in_(chunk), Person.active)):
                self.by_login[person.login] = person
        for chunk in _chunks(sorted(set(units))):
            query = (select(Person).join(Unit, Unit.id == Person.unit_id)
                     .where(Unit.code.in_(chunk), Person.active).order_by(Person.login))
            for person in session.scalars(query):
                if person.has_role(Role.OFFICER) and person.unit is not None:
                    self.officers[person.unit.code].append(person)
        if supervision:
            query = (select(Person).where(Person.active, Person.roles_text.contains(Role.SUPERVISION.value))
                     .order_by(Person.login))
            self.supervisors = [p for p in session.scalars(query) if p.has_role(Role.SUPERVISION)]

    def get(self, login: str | None) -> Person | None:
        """The active person with this login (None for none, an unknown or an inactive one)."""
        return self.by_login.get(login) if login else None

    def behind(self, task: HumanTask) -> list[Person]:
        """Who works on ``task``: its holder, else the user it names, else the officers of its unit."""
        if task.assignee is not None:
            return _present([self.get(task.assignee)])
        if task.candidate_user is not None:
            return _present([self.get(task.candidate_user)])
        if task.candidate_group == Role.OFFICER.value and task.candidate_unit is not None:
            return list(self.officers.get(task.candidate_unit, []))
        return []


def logins_and_units(tasks: Iterable[HumanTask]) -> tuple[set[str], set[str]]:
    """The logins and unit codes ``People`` must load to answer ``behind`` for ``tasks``."""
    logins: set[str] = set()
    units: set[str] = set()
    for task in tasks:
        logins.update(login for login in (task.assignee, task.candidate_user) if login)
        if task.assignee is None and task.candidate_user is None and task.candidate_unit:
            units.add(task.candidate_unit)
    return logins, units


def last_submitters(session: Session, measure_keys: Iterable[str]) -> dict[str, str]:
    """Who last submitted each measure's progress (by item key): its officer while the leader decides."""
    found: dict[str, str] = {}
    for chunk in _chunks(sorted(set(measure_keys))):
        query = (select(HumanTask.item_key, HumanTask.completed_by)
                 .where(HumanTask.item_key.in_(chunk), HumanTask.status == TaskStatus.COMPLETED,
                        HumanTask.stage == Stage.MEASURE_SUBMIT.value)
                 .order_by(HumanTask.id))
        for key, login in session.execute(query).tuples():
            if key is not None and login is not None:
                found[key] = login  # the newest wins
    return found


def _present(people: Iterable[Person | None]) -> list[Person]:
    return [p for p in people if p is not None]


def _chunks(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start:start + _CHUNK]
