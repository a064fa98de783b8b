"""The public area's settings: the feedback rate limit and body size, checked once at start-up."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from flask import Flask, current_app
from flask.blueprints import BlueprintSetupState

from workflows.feedback_intake import IntakePolicy

from ..config import ConfigError
from .blueprint import bp

_KEYS = ("FEEDBACK_RATE_LIMIT", "FEEDBACK_RATE_WINDOW_SECONDS", "FEEDBACK_MAX_BYTES")


@bp.record_once
def _check_settings(state: BlueprintSetupState) -> None:
    """Fail fast at start-up on a bad value, like ``web.config`` does for its own keys."""
    config = cast(Flask, state.app).config
    for key in _KEYS:
        value = config.get(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{key} must be a whole number >= 1, got {value!r}")


def intake_policy() -> IntakePolicy:
    """The current app's feedback policy: how many posts per address and window, and the hashing key."""
    config = current_app.config
    secret = config["SECRET_KEY"]
    return IntakePolicy(
        per_address=config["FEEDBACK_RATE_LIMIT"],
        window=timedelta(seconds=config["FEEDBACK_RATE_WINDOW_SECONDS"]),
        secret=secret.encode() if isinstance(secret, str) else bytes(secret),
    )


def feedback_max_bytes() -> int:
    """The largest feedback post, in bytes."""
    limit: int = current_app.config["FEEDBACK_MAX_BYTES"]
    return limit
