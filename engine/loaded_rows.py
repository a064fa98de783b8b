"""Rows written or read through SQLAlchemy Core, handed back as the session's ORM objects.

The hot path (claim, lock, save) runs Core statements, but its callers work with ``HumanTask`` and
``ProcessInstance`` objects. A row becomes the object the session already holds for it, brought up
to date, or a new one attached as if a query had loaded it — never a second query.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar, cast

from sqlalchemy import Table
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

Model = TypeVar("Model")


def table_of(model: type[Any]) -> Table:
    """A mapped class's table, typed for Core statements."""
    return cast(Table, model.__table__)


def held(session: Session, model: type[Model], key: int) -> Model | None:
    """The object the session holds for ``model`` row ``key``, if any (no query)."""
    found = session.identity_map.get(session.identity_key(model, key))  # type: ignore[arg-type]
    return found if isinstance(found, model) else None


def as_loaded(session: Session, model: type[Model], values: Mapping[str, Any]) -> Model:
    """The session's object for a row whose columns are ``values``, as if a query had just loaded it."""
    obj = held(session, model, values["id"])
    if obj is not None:
        for name, value in values.items():
            set_committed_value(obj, name, value)
        return obj
    return attach(session, model(**values))


def attach(session: Session, obj: Model) -> Model:
    """Make a transient object whose row exists persistent and clean in ``session``, without a query."""
    make_transient_to_detached(obj)
    session.add(obj)
    return obj
