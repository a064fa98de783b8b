"""The reassign form's content (转办): who may see it, whom it offers, what was typed.

The task page includes ``delegation/_form.html`` with ``reassign=reassign_panel(...)``
for the people allowed to reassign; the reassign page itself renders the same fragment.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from sqlalchemy.orm import Session

from engine import Actor, HumanTask, TaskStatus
from workflows.models import Person
from workflows.reassign import MAX_REASON, eligible_assignees, may_reassign


@dataclass(frozen=True)
class ReassignPanel:
    """What the fragment shows: the task, the people it may go to, and a refused attempt's input."""

    task_id: int
    people: list[Person]
    to_login: str = ""
    reason: str = ""
    error: str | None = None
    max_reason: int = MAX_REASON

    def refused(self, error: str, *, to_login: str, reason: str) -> ReassignPanel:
        """The same panel showing ``error`` beside what was typed, so nothing has to be typed again."""
        return replace(self, error=error, to_login=to_login, reason=reason)


def reassign_panel(session: Session, actor: Actor, task: HumanTask) -> ReassignPanel | None:
    """The reassign form for ``task`` if ``actor`` may reassign it and it is still open, else ``None``."""
    if task.status != TaskStatus.OPEN or not may_reassign(actor, task):
        return None
    return ReassignPanel(task_id=task.id, people=eligible_assignees(session, task))
