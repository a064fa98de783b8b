"""Rendering the task page: the view from ``workflows.task_view`` plus what this request adds —
the values typed into a refused form, the errors beside its fields, a notice about what happened
to the task meanwhile, the reassign panel and a fresh submission token."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from flask import current_app, render_template
from werkzeug.datastructures import MultiDict

from engine import Actor, HumanTask
from workflows import forms
from workflows.errors import Message
from workflows.task_view import task_view

from ..config import warning_window_days
from ..db_session import get_session
from ..delegation.panel import reassign_panel
from ..i18n import message_text, t
from ..services import services

# Form fields that are the page's machinery, not what a person typed.
MACHINERY = frozenset({"csrf_token", "submission_token"})


def new_token() -> str:
    """A random submission token for one rendering of a task form (double posts are recognised by it)."""
    return secrets.token_urlsafe(24)


def typed_values(form: MultiDict[str, str], *, blank: bool = True) -> dict[str, str]:
    """What a person typed into a task form, without the page's own hidden fields
    (``blank=False``: without the fields left empty too)."""
    return {name: value for name, value in form.items()
            if name not in MACHINERY and (blank or value.strip())}


def render_task_page(
    task: HumanTask,
    actor: Actor,
    *,
    typed: Mapping[str, str] | None = None,
    errors: Mapping[str, Message] | None = None,
    notice: str | None = None,
    token: str | None = None,
    files_lost: bool = False,
) -> str:
    """The task page for ``actor``; on a refused or overtaken submission, what they typed stays on it."""
    session = get_session()
    view = task_view(session, task, actor, now=services().workflow_engine.clock(),
                     window_days=warning_window_days())
    return render_template(
        "tasks/show.html",
        view=view,
        values=dict(typed or {}),
        errors={name: message_text(message) for name, message in (errors or {}).items()},
        notice=notice,
        token=token or new_token(),
        files_lost=files_lost,
        # Typed text the form cannot take back (the task is no longer theirs): shown to copy.
        orphaned=_orphaned(typed) if view.form is None else {},
        reassign=reassign_panel(session, actor, task),
        declared_form=forms.FORMS.get(task.form_key or ""),
        numbers={item.measure.item_key: item.number for item in view.measures},
        file_size=file_size,
        upload_hint=_upload_hint(),
    )


def render_submitted_page(task: HumanTask, actor: Actor) -> str:
    """The page a repeated post of an accepted submission gets: it went through, once."""
    view = task_view(get_session(), task, actor, now=services().workflow_engine.clock(),
                     window_days=warning_window_days())
    return render_template("tasks/submitted.html", view=view)


def file_size(size: int) -> str:
    """A file's size as people read it: ``830 B``, ``12.4 KB``, ``3.1 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def _upload_hint() -> str:
    config = current_app.config
    return t("tasks.allowed_files", types=", ".join(config["EVIDENCE_EXTENSIONS"]),
             mb=config["EVIDENCE_MAX_BYTES"] // (1024 * 1024), count=config["EVIDENCE_MAX_FILES"])


def _orphaned(typed: Mapping[str, str] | None) -> dict[str, Any]:
    return {name: value for name, value in (typed or {}).items() if value.strip()}
