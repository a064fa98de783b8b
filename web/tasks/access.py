"""Load a task or refuse: the one helper every task route (page, complete, evidence, reassign) uses.

Like flaskr's ``get_post``: a route cannot forget the check, and a task the person may not see
answers exactly like a task that does not exist (404), so ids reveal nothing.
"""

from __future__ import annotations

from flask import abort

from engine import Actor, HumanTask
from workflows.task_access import can_view_task

from ..db_session import get_session


def task_or_404(task_id: int, actor: Actor) -> HumanTask:
    """The task ``task_id`` if ``actor`` may see it (``workflows.task_access``); 404 otherwise."""
    session = get_session()
    task = session.get(HumanTask, task_id)
    if task is None or not can_view_task(session, actor, task):
        abort(404)
    return task
