"""The public area's settings: the feedback rate limit and body size (checked by ``web.config`` at start-up)."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app

from workflows.feedback_intake import IntakePolicy


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
