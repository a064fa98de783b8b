"""The service registry on its own: what a deployer may enable, what each built-in accepts, deploy's check."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree

from engine.clock import running_on
from engine.service_calls import collecting
from engine.services import ServiceConfigError, ServiceFailure, ServiceRegistry, build_registry, check_operators

DIAGRAMS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "services"


def test_unknown_services_and_http_post_without_hosts_are_configuration_errors():
    with pytest.raises(ServiceConfigError, match="unknown service mail, sms; known: http_post, notify, set_deadline"):
        build_registry(["notify", "sms", "mail"])
    with pytest.raises(ServiceConfigError, match="HTTP_POST_HOSTS is empty"):
        build_registry(["http_post"])
    assert build_registry([" notify ", "", "set_deadline", "notify"]).names() == ["notify", "set_deadline"]
    assert ServiceRegistry().names() == []


@pytest.mark.parametrize(("url", "error"), [
    ("http://evil.example/x", "host 'evil.example' is not allowed; allowed hosts: api.example, local:8080"),
    ("file:///etc/passwd", "is not an http or https URL"),
    ("javascript:alert(1)", "is not an http or https URL"),
    ("http://local:9090/", "host 'local' is not allowed"),
    ("http://[::1", "is not a URL"),
])
def test_http_post_refuses_what_the_allow_list_does_not_name(url, error):
    registry = build_registry(["http_post"], http_hosts=["API.example", "local:8080"])
    with collecting(), pytest.raises(ServiceFailure, match=error.replace("[", r"\[").replace("(", r"\(")):
        registry.call("http_post", {"url": url, "body": {}}, {})


def test_http_post_queues_the_post_and_a_failed_call_queues_nothing():
    registry = build_registry(["http_post"], http_hosts=["api.example", "local:8080"])
    with collecting() as log:
        assert registry.call("http_post", {"url": "https://api.example/in", "body": [1]}, {}) == {
            "queued": True, "host": "api.example"}
        assert registry.call("http_post", {"url": "http://local:8080/in"}, {})["host"] == "local"
        with pytest.raises(ServiceFailure, match="cannot be sent as JSON"):
            registry.call("http_post", {"url": "https://api.example/in", "body": {1, 2}}, {})
    assert len(log.effects) == 2


def test_set_deadline_takes_days_or_a_date_and_names_a_wrong_parameter():
    registry = build_registry(["set_deadline"])
    with running_on(lambda: datetime(2026, 12, 31, 20, tzinfo=UTC)):
        assert registry.call("set_deadline", {"days": 1}, {}) == {"deadline": "2027-01-01"}
        assert registry.call("set_deadline", {"date": "2027-03-01"}, {}) == {"deadline": "2027-03-01"}
        assert registry.call("set_deadline", {"date": "2027-03-01T09:00:00+08:00"}, {}) == {"deadline": "2027-03-01"}
        for params, error in [({"days": True}, "'days' must be a whole number"),
                              ({"days": -1}, "'days' must be a whole number"),
                              ({"date": "next week"}, "'date' must be an ISO date"),
                              ({"date": "0999-01-01"}, "between 1970 and 2999"),
                              ({}, "give exactly one of the parameters date or days"),
                              ({"days": 1, "date": "2027-01-01"}, "exactly one"),
                              ({"days": 1, "hours": 2}, "unknown parameter hours; it takes date, days")]:
            with pytest.raises(ServiceFailure, match=error):
                registry.call("set_deadline", params, {})


def test_notify_outside_a_step_and_an_operator_not_enabled_fail_cleanly():
    registry = build_registry(["notify"])
    with pytest.raises(ServiceFailure, match="only inside a process step"):
        registry.call("notify", {"to": "zhang", "message": "hi"}, {})
    with collecting(), pytest.raises(ServiceFailure, match="'to' must be a login"):
        registry.call("notify", {"to": [], "message": "hi"}, {})
    with pytest.raises(ServiceFailure, match="service 'http_post' is not enabled; enabled: notify"):
        registry.call("http_post", {"url": "http://x"}, {})


def test_check_operators_lists_every_service_task_the_registry_refuses():
    root = etree.parse(str(DIAGRAMS / "svc_failing.bpmn")).getroot()
    assert check_operators(root, build_registry(["http_post"], http_hosts=["x"])) == []
    [(element, message)] = check_operators(root, build_registry(["notify", "set_deadline"]))
    assert element.get("id") == "Service_forward" and element.tag.endswith("}serviceTask")
    assert message == ("service 'http_post' is not enabled; enabled services: notify, set_deadline "
                       "(known: http_post, notify, set_deadline)")
    deadline = etree.parse(str(DIAGRAMS / "svc_deadline.bpmn")).getroot()
    for param in deadline.iter("{http://spiffworkflow.org/bpmn/schema/1.0/core}parameter"):
        param.set("id", "weeks")
    [(_element, message)] = check_operators(deadline, build_registry(["set_deadline"]))
    assert message == "service 'set_deadline': unknown parameter weeks; it takes date, days"


def test_the_post_follows_no_redirect_off_the_allow_list():
    import threading
    import urllib.error
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from engine.services import post_json

    class Redirecting(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the standard library's name
            self.rfile.read(int(self.headers["Content-Length"]))
            self.send_response(307)
            self.send_header("Location", "http://elsewhere.invalid/steal")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirecting)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(urllib.error.HTTPError, match="307"):
            post_json(f"http://127.0.0.1:{server.server_address[1]}/in", b"{}")
    finally:
        server.shutdown()
        server.server_close()
