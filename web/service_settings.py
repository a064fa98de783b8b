"""The services a deployment lets service tasks call: the settings ``SERVICES`` and ``HTTP_POST_HOSTS``.

``SERVICES`` (default: notify, set_deadline)
    The services (``engine.services``: ``notify``, ``set_deadline``, ``http_post``) that service
    tasks may call; any other operator is an incident on the instance. A list, comma-separated
    in the environment (``RECTIFLOW_SERVICES=notify,set_deadline,http_post``).
``HTTP_POST_HOSTS`` (default: none)
    The hosts ``http_post`` may reach, as ``host`` (any port) or ``host:port``; needed when
    ``http_post`` is enabled (``RECTIFLOW_HTTP_POST_HOSTS=cases.example.gov.cn``).

Read once at start-up (``web.config`` checks them): a name that is no known service, or
``http_post`` without an allowed host, stops the start-up with a ``ConfigError``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from engine.services import ServiceRegistry, build_registry

log = logging.getLogger("rectiflow.notify")


def service_registry(settings: Mapping[str, Any]) -> ServiceRegistry:
    """The registry of the enabled services; ``notify`` is written to the ``rectiflow.notify`` log."""
    return build_registry(_names(settings.get("SERVICES")), http_hosts=_names(settings.get("HTTP_POST_HOSTS")),
                          notifier=_log_notice)


def _names(value: Any) -> list[str]:
    if isinstance(value, str):  # the instance file may give a comma-separated text as well as a list
        value = value.split(",")
    if not isinstance(value, Iterable) or not all(isinstance(name, str) for name in value):
        raise ValueError(f"SERVICES and HTTP_POST_HOSTS list names, got {value!r}")
    return [name.strip() for name in value if name.strip()]


def _log_notice(to: list[str], message: str) -> None:
    # Runs after the commit; the audit log already holds who was told.
    log.info("notice to %s: %s", ", ".join(to), message)
