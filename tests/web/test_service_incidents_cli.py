"""``rectiflow incidents`` with failed service tasks: listed beside timers, retried once the configuration
allows the service (the POST then reaches a real local server, after the commit), or skipped with a reason."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import Actor, FixedClock, HumanTask, TaskStatus, WorkflowEngine
from engine.models import AuditEntry
from engine.services import build_registry
from web.cli import main
from workflows.schema import upgrade

from ..engine.test_services import Receiver

DIAGRAM = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "services" / "svc_http_post.bpmn"


@pytest.fixture
def database(empty_database: Engine) -> Engine:
    upgrade(empty_database)
    return empty_database


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.server.shutdown()
    found.server.server_close()


@pytest.fixture
def rectiflow(database: Engine):
    """The command line on ``database``; ``env`` adds settings (RECTIFLOW_SERVICES, …)."""
    url = database.url.render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True, **env: str) -> str:
        settings = {"RECTIFLOW_DATABASE_URL": url, **{f"RECTIFLOW_{k}": v for k, v in env.items()}}
        result = CliRunner().invoke(main, list(args), env=settings)
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output
        return result.output

    return run


def failed_posts(db: Engine, url: str, count: int) -> list[int]:
    """``count`` instances whose POST to ``url`` failed (its host not allowed then); their ids."""
    engine = WorkflowEngine(clock=FixedClock(datetime(2026, 1, 5, tzinfo=UTC)),
                            services=build_registry(["http_post"], http_hosts=["localhost"]))
    with Session(db) as s:
        engine.deploy_path(s, DIAGRAM, actor="admin")
        ids = [engine.start(s, "svc_http_post", {"url": url, "case": f"C-{n}"}, actor=Actor("admin")).id
               for n in range(count)]
        s.commit()
    return ids


def test_service_incidents_are_listed_retried_and_skipped(rectiflow, database, receiver):
    first, second = failed_posts(database, receiver.url + "/in", 2)
    rectiflow("people", "add", "boss", "--name", "管理员", "--role", "admin", "--password", "pw-123456789")

    listed = rectiflow("incidents")
    rows = [line.split() for line in listed.splitlines() if " service " in line]
    assert [(r[1], r[2], r[3], r[4], r[5]) for r in rows] == [
        ("service", "instance", str(first), "Service_post", "—"), ("service", "instance", str(second),
                                                                    "Service_post", "—")]
    assert "host '127.0.0.1' is not allowed" in listed and "retry-service ID" in listed
    first_incident, second_incident = rows[0][0], rows[1][0]

    # Still not allowed: the retry fails again, and says where the new incident is.
    again = rectiflow("incidents", "retry-service", first_incident, "--user", "boss")
    assert "retried by boss: it failed again, see incident" in again
    new_incident = again.strip().rsplit(" ", 1)[-1]

    fixed = {"SERVICES": "notify,http_post", "HTTP_POST_HOSTS": "127.0.0.1"}
    went_on = rectiflow("incidents", "retry-service", new_incident, "--user", "boss", **fixed)
    assert went_on == (f"service incident {new_incident} (Service_post, instance {first}) retried by boss: "
                       "the instance went on\n")
    assert receiver.posts == [("/in", {"case": "C-0"})]  # sent once the command committed

    refused = rectiflow("incidents", "skip-service", second_incident, "--user", "boss", "--reason", " ", ok=False)
    assert refused.strip().endswith("Error: say why the service task is skipped")
    skipped = rectiflow("incidents", "skip-service", second_incident, "--user", "boss", "--reason", "sent by mail")
    assert skipped.endswith("skipped by boss: the instance went on without the service\n")
    assert rectiflow("incidents") == "(none)\n"
    assert receiver.posts == [("/in", {"case": "C-0"})]
    with Session(database) as s:
        assert {t.instance_id for t in s.scalars(select(HumanTask).where(HumanTask.status == TaskStatus.OPEN))} == {
            first, second}
        [skip] = s.scalars(select(AuditEntry).where(AuditEntry.action == "service_skip")).all()
    assert (skip.actor, skip.instance_id, skip.detail["reason"]) == ("boss", second, "sent by mail")
    gone = rectiflow("incidents", "skip-service", second_incident, "--user", "boss", "--reason", "x", ok=False)
    assert "is resolved already" in gone


def test_an_unknown_service_in_the_settings_stops_the_command(rectiflow):
    out = rectiflow("incidents", ok=False, SERVICES="notify,sms")
    assert "unknown service sms; known: http_post, notify, set_deadline" in out
    out = rectiflow("incidents", ok=False, SERVICES="http_post")
    assert "HTTP_POST_HOSTS is empty" in out
