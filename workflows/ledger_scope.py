"""Which ledger rows (measures) and problems a person may see: one rule for the ledger, the problem
page, the dashboard, the downloads and the API.

* supervision and administrators see every row;
* an officer sees the rows of their own unit: measures whose lead unit or responsible units
  include it (a measure with no unit of its own belongs to its problem's lead unit);
* a leader sees their own unit's rows as an officer does, and every row of a problem or measure
  they are the responsible leader of, and of a problem their unit leads;
* anyone else sees nothing (deny by default).

A problem is visible when one of its rows is, or when it is the leader's by the rules above.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, false, or_, select
from sqlalchemy.orm import Session

from engine import Actor

from .models import Measure, Person, Problem, Role, Unit, measure_unit

SEE_ALL = frozenset({Role.SUPERVISION.value, Role.ADMIN.value})
_ROW_ROLES = frozenset({Role.OFFICER.value, Role.LEADER.value})


def sees_everything(actor: Actor) -> bool:
    """Supervision and administrators: no filter at all."""
    return bool(actor.groups & SEE_ALL)


def measure_scope(actor: Actor) -> ColumnElement[bool] | None:
    """A clause over ``Measure`` joined to its ``Problem`` (``None``: every row)."""
    if sees_everything(actor):
        return None
    if not actor.groups & _ROW_ROLES:
        return false()
    unit_ids = select(Unit.id).where(Unit.code.in_(sorted(actor.units))).scalar_subquery()
    has_units = exists().where(measure_unit.c.measure_id == Measure.id)
    own = or_(
        Measure.lead_unit_id.in_(unit_ids),
        exists().where(measure_unit.c.measure_id == Measure.id, measure_unit.c.unit_id.in_(unit_ids)),
        and_(Measure.lead_unit_id.is_(None), ~has_units, Problem.lead_unit_id.in_(unit_ids)),
    )
    if Role.LEADER.value not in actor.groups:
        return own
    me = select(Person.id).where(Person.login == actor.key).scalar_subquery()
    return or_(own, Measure.responsible_leader_id.in_(me), Problem.responsible_leader_id.in_(me),
               Problem.lead_unit_id.in_(unit_ids))


def problem_scope(actor: Actor) -> ColumnElement[bool] | None:
    """A clause over ``Problem`` (``None``: every problem)."""
    rows = measure_scope(actor)
    if rows is None:
        return None
    visible_row = exists().where(Measure.problem_id == Problem.id, rows)
    if Role.LEADER.value not in actor.groups:
        return visible_row
    me = select(Person.id).where(Person.login == actor.key).scalar_subquery()
    unit_ids = select(Unit.id).where(Unit.code.in_(sorted(actor.units))).scalar_subquery()
    return or_(visible_row, Problem.responsible_leader_id.in_(me), Problem.lead_unit_id.in_(unit_ids))


def visible_measure_ids(session: Session, actor: Actor, problem_ids: list[int]) -> set[int]:
    """The ids of the measures of ``problem_ids`` that ``actor`` may see."""
    query = select(Measure.id).join(Problem, Measure.problem_id == Problem.id).where(Problem.id.in_(problem_ids))
    scope = measure_scope(actor)
    if scope is not None:
        query = query.where(scope)
    return set(session.scalars(query))


def can_view_problem(session: Session, actor: Actor, problem_id: int) -> bool:
    """Whether ``actor`` may open the problem's page (its rows, history, evidence and diagram)."""
    query = select(Problem.id).where(Problem.id == problem_id)
    scope = problem_scope(actor)
    if scope is not None:
        query = query.where(scope)
    return session.scalar(query) is not None
