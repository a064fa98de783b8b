"""How many web worker processes this deployment runs: gunicorn's ``WEB_CONCURRENCY``, or its usual rule.

``deploy/gunicorn.conf.py`` starts this many workers, and ``rectiflow check-config`` judges the
settings against the same number (SQLite cannot serve several workers), so both read it here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

VARIABLE = "WEB_CONCURRENCY"  # gunicorn's own variable, also read by hosting platforms


def web_workers(environ: Mapping[str, str] = os.environ) -> int:
    """``WEB_CONCURRENCY`` if set (a whole number >= 1), else ``2 * CPUs + 1`` (gunicorn's advice).

    A blank value counts as unset, as an empty ``RECTIFLOW_SECRET_KEY`` does.

    Raises ``ValueError`` naming ``WEB_CONCURRENCY`` when it is set to anything else.
    """
    raw = environ.get(VARIABLE)
    if raw is None or not raw.strip():
        return 2 * (os.cpu_count() or 1) + 1
    try:
        workers = int(raw.strip())
    except ValueError:
        raise ValueError(f"{VARIABLE} must be a whole number of web workers >= 1, got {raw!r}") from None
    if workers < 1:
        raise ValueError(f"{VARIABLE} must be a whole number of web workers >= 1, got {raw!r}")
    return workers
