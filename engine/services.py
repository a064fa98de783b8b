"""Named services that service tasks call, and the registry of those a deployer enables.

A diagram's service task names its operator (``spiffworkflow:serviceTaskOperator id="notify"``)
and parameters (expressions over the task's data). The engine calls the operator's service
from the registry it was given (:class:`ServiceRegistry`, built by :func:`build_registry`)
with the evaluated parameters; the service returns a JSON value, stored in the task's result
variable. A service never blocks the step on the outside world: what it sends goes out after
the commit (:func:`engine.service_calls.after_commit`). Any failure is a :class:`ServiceFailure`,
which the step makes an incident on the instance (:mod:`engine.service_incidents`).

Built-ins:

``notify`` (``to``: a login or a list of them, ``message``)
    Audits who is told (``service_notify``) and, after the commit, hands ``(to, message)`` to
    the notifier the application gave, if any.
``http_post`` (``url``, ``body``: any JSON value)
    POSTs ``body`` as JSON to ``url`` after the commit (5 s timeout, no redirects). The URL
    must be http or https and its host in the allow-list; returns ``{"queued": true, "host": …}``.
``set_deadline`` (``days``: a whole number, or ``date``: an ISO date)
    Returns ``{"deadline": "YYYY-MM-DD"}``: the step's date (UTC) plus ``days``, or ``date``.
"""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from .clock import current_time
from .errors import one_line
from .service_calls import ServiceFailure, after_commit, all_or_nothing, note

__all__ = ["KNOWN_SERVICES", "Notifier", "Service", "ServiceConfigError", "ServiceFailure", "ServiceRegistry",
           "build_registry", "check_operators"]

log = logging.getLogger(__name__)

SPIFF_NS = "http://spiffworkflow.org/bpmn/schema/1.0/core"
HTTP_TIMEOUT_SECONDS = 5.0
MAX_DEADLINE_DAYS = 3650
MAX_MESSAGE_CHARS = 2000

Params = Mapping[str, Any]
Notifier = Callable[[list[str], str], object]


class ServiceConfigError(ValueError):
    """The services configuration names an unknown service or lacks what one needs."""


@dataclass(frozen=True)
class Service:
    """One named service: ``run(params, data)`` returns a JSON value or raises ServiceFailure."""

    name: str
    run: Callable[[Params, Mapping[str, Any]], Any]
    required: frozenset[str] = frozenset()
    optional: frozenset[str] = frozenset()
    # At least one of these parameters (and, unless several are listed as allowed, exactly one).
    one_of: frozenset[str] = frozenset()


class ServiceRegistry:
    """The services a deployment enables; every operator not among them is refused."""

    def __init__(self, services: Iterable[Service] = ()) -> None:
        self._services = {service.name: service for service in services}

    def names(self) -> list[str]:
        """The enabled services' names, sorted."""
        return sorted(self._services)

    def get(self, operator: str) -> Service | None:
        """The enabled service called ``operator``, if any."""
        return self._services.get(operator)

    def call(self, operator: str, params: Params, data: Mapping[str, Any]) -> Any:
        """Run ``operator`` with ``params`` on the task's ``data``; a JSON-serialisable result.

        Raises ServiceFailure, naming the operator, for any failure: not enabled, a parameter
        missing or wrong, the service's own refusal, a result that is not JSON.
        """
        service = self._services.get(operator)
        if service is None:
            raise ServiceFailure(f"service '{operator}' is not enabled; enabled: {', '.join(self.names()) or 'none'}")
        problem = parameter_problem(service, params.keys())
        if problem:
            raise ServiceFailure(f"service '{operator}': {problem}")
        try:
            with all_or_nothing():
                result = service.run(params, data)
                json.dumps(result, allow_nan=False)
        except ServiceFailure as exc:
            raise ServiceFailure(f"service '{operator}': {one_line(exc)}") from None
        except (TypeError, ValueError) as exc:
            raise ServiceFailure(f"service '{operator}' failed: {one_line(exc)}") from None
        except Exception as exc:  # a bug in a service must not leak as the step's error
            log.exception("service %r failed", operator)
            raise ServiceFailure(f"service '{operator}' failed: {one_line(exc)}") from None
        return result


def parameter_problem(service: Service, names: Iterable[str]) -> str | None:
    """What is wrong with a call's parameter names (missing, unknown, none of a choice), or None."""
    given = set(names)
    missing = sorted(service.required - given)
    if missing:
        return f"parameter {', '.join(missing)} is missing"
    unknown = sorted(given - service.required - service.optional - service.one_of)
    if unknown:
        known = sorted(service.required | service.optional | service.one_of)
        return f"unknown parameter {', '.join(unknown)}; it takes {', '.join(known)}"
    if service.one_of and len(given & service.one_of) != 1:
        return f"give exactly one of the parameters {' or '.join(sorted(service.one_of))}"
    return None


# -- built-ins ---------------------------------------------------------------------------------


def _notify(notifier: Notifier | None) -> Service:
    def run(params: Params, data: Mapping[str, Any]) -> Any:
        to = params["to"]
        recipients = [to] if isinstance(to, str) else to
        if not isinstance(recipients, list) or not recipients or not all(
                isinstance(r, str) and r.strip() for r in recipients):
            raise ServiceFailure("'to' must be a login or a non-empty list of logins")
        recipients = [r.strip() for r in recipients]
        message = params["message"]
        if not isinstance(message, str) or not message.strip() or len(message) > MAX_MESSAGE_CHARS:
            raise ServiceFailure(f"'message' must be a text of 1 to {MAX_MESSAGE_CHARS} characters")
        note("service_notify", {"to": recipients, "message": message})
        if notifier is not None:
            after_commit(lambda: notifier(recipients, message))
        return {"notified": recipients}

    return Service("notify", run, required=frozenset({"to", "message"}))


def _http_post(hosts: frozenset[str]) -> Service:
    def run(params: Params, data: Mapping[str, Any]) -> Any:
        url = params["url"]
        if not isinstance(url, str):
            raise ServiceFailure("'url' must be a text")
        host = allowed_host(url, hosts)
        try:
            body = json.dumps(params.get("body"), ensure_ascii=False, allow_nan=False).encode("utf-8")
        except (TypeError, ValueError) as exc:
            raise ServiceFailure(f"'body' cannot be sent as JSON: {one_line(exc)}") from None
        after_commit(lambda: post_json(url, body))
        return {"queued": True, "host": host}

    return Service("http_post", run, required=frozenset({"url"}), optional=frozenset({"body"}))


def allowed_host(url: str, hosts: frozenset[str]) -> str:
    """``url``'s host when it is http(s) and allow-listed (by host, or host:port); else ServiceFailure."""
    try:
        parts = urlsplit(url.strip())
        host, port = (parts.hostname or "").lower(), parts.port
    except ValueError:
        raise ServiceFailure(f"'{url[:200]}' is not a URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise ServiceFailure(f"'{url[:200]}' is not an http or https URL")
    if host not in hosts and f"{host}:{port}" not in hosts:
        allowed = ", ".join(sorted(hosts)) or "none (set HTTP_POST_HOSTS)"
        raise ServiceFailure(f"host '{host}' is not allowed; allowed hosts: {allowed}")
    return host


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # A redirect could lead off the allow-list: the POST goes where the diagram said, or nowhere.
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def post_json(url: str, body: bytes) -> int:
    """POST ``body`` (JSON) to ``url``, outside any transaction; the HTTP status (an error status raises)."""
    request = urllib.request.Request(url, data=body, method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8"})
    opener = urllib.request.build_opener(_NoRedirects)
    with opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
        return int(response.status)


def _set_deadline(params: Params, data: Mapping[str, Any]) -> Any:
    if "days" in params:
        days = params["days"]
        if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DEADLINE_DAYS:
            raise ServiceFailure(f"'days' must be a whole number from 0 to {MAX_DEADLINE_DAYS}, got {days!r}")
        deadline = current_time().date() + timedelta(days=days)
    else:
        value = params["date"]
        try:
            deadline = (value if isinstance(value, date) and not isinstance(value, datetime)
                        else datetime.fromisoformat(value).date() if isinstance(value, str) and "T" in value
                        else date.fromisoformat(value))
        except (TypeError, ValueError):
            raise ServiceFailure(f"'date' must be an ISO date such as 2027-01-31, got {str(value)[:50]!r}") from None
        if not 1970 <= deadline.year <= 2999:
            raise ServiceFailure(f"'date' must lie between 1970 and 2999, got {deadline.isoformat()}")
    return {"deadline": deadline.isoformat()}


KNOWN_SERVICES = ("http_post", "notify", "set_deadline")


def build_registry(
    enabled: Iterable[str], *, http_hosts: Iterable[str] = (), notifier: Notifier | None = None
) -> ServiceRegistry:
    """The registry of the services named in ``enabled`` (ServiceConfigError on an unknown name).

    ``http_hosts``: the hosts ``http_post`` may reach (``host`` or ``host:port``), required when it
    is enabled; ``notifier(to, message)`` is called after the commit of every ``notify``.
    """
    names = [name.strip() for name in enabled if name.strip()]
    unknown = sorted(set(names) - set(KNOWN_SERVICES))
    if unknown:
        raise ServiceConfigError(f"unknown service {', '.join(unknown)}; known: {', '.join(KNOWN_SERVICES)}")
    hosts = frozenset(host.strip().lower() for host in http_hosts if host.strip())
    if "http_post" in names and not hosts:
        raise ServiceConfigError("http_post is enabled but no host is allowed (HTTP_POST_HOSTS is empty)")
    made = {
        "notify": lambda: _notify(notifier),
        "http_post": lambda: _http_post(hosts),
        "set_deadline": lambda: Service("set_deadline", _set_deadline, one_of=frozenset({"days", "date"})),
    }
    return ServiceRegistry(made[name]() for name in dict.fromkeys(names))


def check_operators(root: Any, registry: ServiceRegistry) -> list[tuple[Any, str]]:
    """Every service task of a diagram (an lxml tree) whose operator the registry refuses.

    Returns ``(service task element, message)`` pairs: an operator that is not enabled (the
    message lists the enabled and known ones), or parameters the service does not take.
    """
    problems: list[tuple[Any, str]] = []
    for operator in root.iter(f"{{{SPIFF_NS}}}serviceTaskOperator"):
        task = _owning_element(operator)
        name = (operator.get("id") or "").strip()
        service = registry.get(name)
        if service is None:
            enabled = ", ".join(registry.names()) or "none"
            what = f"service '{name}' is not enabled" if name else "the service task names no operator"
            problems.append((task, f"{what}; enabled services: {enabled} (known: {', '.join(KNOWN_SERVICES)})"))
            continue
        params = [p.get("id") or "" for p in operator.iter(f"{{{SPIFF_NS}}}parameter") if "value" in p.attrib]
        problem = parameter_problem(service, params)
        if problem:
            problems.append((task, f"service '{name}': {problem}"))
    return problems


def _owning_element(operator: Any) -> Any:
    """The BPMN element an operator belongs to (its service task), past ``extensionElements``."""
    node = operator.getparent()
    while node is not None and (not isinstance(node.tag, str) or node.tag.startswith(f"{{{SPIFF_NS}}}")
                                or node.tag.endswith("}extensionElements")):
        node = node.getparent()
    return node if node is not None else operator
