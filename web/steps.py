"""How a task's step is named to people: the diagram's name in the reader's language, else its stage's label."""

from __future__ import annotations

from flask import Flask

from engine import HumanTask
from workflows.inbox import InboxRow, split_name

from .i18n import TEXTS, current_language, t


def step_label(item: HumanTask | InboxRow) -> str:
    """The step's name from the diagram in the current language; without one, its stage's label,
    then the name in the other language (a diagram may name a step in one language only)."""
    if isinstance(item, HumanTask):
        whole = (item.name or "").strip()
        zh, en = split_name(whole)
    else:
        whole, zh, en = "", item.step_zh, item.step_en
    own, other = (en, zh) if current_language() == "en" else (zh, en)
    if own:
        return own
    key = f"inbox.stage.{item.stage}"
    if item.stage and key in TEXTS:
        return t(key)
    return other or whole


def init_app(app: Flask) -> None:
    """Give templates ``step_label``: every page names a step the same way."""
    app.jinja_env.globals["step_label"] = step_label
