"""The one check of the admin area: only administrators get in.

Shared by every admin routes module (people, units, processes, instances, incidents, tasks).
Others signed in get 403; the signed out are sent to sign in (``web.auth``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from workflows.models import Role

from ..auth import role_required

F = TypeVar("F", bound=Callable[..., Any])

_ADMIN_ONLY = role_required(Role.ADMIN)


def admin_required(view: F) -> F:
    """Let only administrators into ``view`` (put it under the ``bp`` route decorator)."""
    return _ADMIN_ONLY(view)

__all__ = ["admin_required"]
