"""``rectiflow start``, ``instances``, ``send-message`` and ``send-signal`` on diagrams other than the lifecycle.

Each diagram of tests/fixtures/bpmn/messages is run to completion from the command line as a user
types it; every refusal is one line, a non-zero exit, and changes nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from engine import WorkflowEngine
from engine.models import AuditEntry, ProcessInstance
from web.cli import main
from workflows.schema import upgrade

DIAGRAMS = Path(__file__).resolve().parent.parent / "fixtures" / "bpmn" / "messages"


@pytest.fixture
def database(empty_database: Engine) -> Engine:
    upgrade(empty_database)
    with Session(empty_database) as s:
        engine = WorkflowEngine()
        for path in sorted(DIAGRAMS.glob("*.bpmn")):
            engine.deploy_path(s, path, actor="admin")
        s.commit()
    return empty_database


@pytest.fixture
def rectiflow(database: Engine):
    """The command line on ``database``, as a user types it."""
    url = database.url.render_as_string(hide_password=False)

    def run(*args: str, ok: bool = True) -> str:
        result = CliRunner().invoke(main, list(args), env={"RECTIFLOW_DATABASE_URL": url})
        assert (result.exit_code == 0) == ok, result.output
        assert "Traceback" not in result.output
        if not ok:
            assert result.output.startswith("Error: ") and result.output.count("\n") == 1, result.output
        return result.output

    return run


def counts(database: Engine) -> tuple[int, int]:
    """Instances and audit entries: what a refused command must leave as it was."""
    with Session(database) as s:
        return (s.scalar(select(func.count()).select_from(ProcessInstance)) or 0,
                s.scalar(select(func.count()).select_from(AuditEntry)) or 0)


def test_start_then_send_message_by_key_runs_to_completion(rectiflow, database):
    out = rectiflow("start", "msg_catch", "--data", '{"order_id": "A1"}', "--key", "INV-1")
    assert out == "instance 1 of msg_catch v1 (key INV-1): running\n"
    listing = rectiflow("instances", "--process", "msg_catch")
    assert "INV-1" in listing and "running" in listing and "message 'payment_received'" in listing
    out = rectiflow("send-message", "payment_received", "--key", "INV-1", "--data", '{"paid": 50}')
    assert out == "message payment_received: delivered to instance 1 (completed)\n"
    assert "completed" in rectiflow("instances", "--status", "completed")
    assert rectiflow("instances", "--status", "running") == "(none)\n"


def test_send_message_by_correlation(rectiflow):
    rectiflow("start", "msg_receive_task", "--data", '{"doc": "D1"}')
    rectiflow("start", "msg_receive_task", "--data", '{"doc": "D2"}')
    out = rectiflow("send-message", "document_arrived", "--correlate", '{"doc": "D2"}')
    assert out == "message document_arrived: delivered to instance 2 (completed)\n"


def test_message_start_and_its_user_task(rectiflow):
    refused = rectiflow("start", "msg_start", ok=False)
    assert "starts on message 'order_received': use send-message order_received" in refused
    out = rectiflow("send-message", "order_received", "--key", "ORD-1", "--data", '{"amount": 3}')
    assert out == "message order_received: started instance 1 of msg_start v1 (key ORD-1): running\n"
    assert "task 'Confirm order'" in rectiflow("instances")


def test_signals_start_and_release_instances(rectiflow):
    assert "started instance 1 of signal_alarm v1" in rectiflow("send-signal", "alarm", "--data", '{"zone": "N"}')
    assert "signal 'all_clear'" in rectiflow("instances", "--process", "signal_alarm")
    assert rectiflow("send-signal", "all_clear") == "signal all_clear: delivered to instance 1 (completed)\n"


def test_event_gateway_and_boundary_message(rectiflow):
    rectiflow("start", "msg_event_gateway", "--key", "Q-1")
    rectiflow("start", "msg_boundary", "--key", "C-1")
    assert "completed" in rectiflow("send-message", "reply_received", "--key", "Q-1")
    assert "completed" in rectiflow("send-message", "withdrawn", "--key", "C-1")
    assert rectiflow("instances", "--status", "running") == "(none)\n"


@pytest.mark.parametrize("args, message", [
    (("start", "no_such_process"), "process 'no_such_process' is not deployed"),
    (("start", "msg_catch", "--data", "{not json"), "--data"),
    (("start", "msg_catch", "--data", "[1, 2]"), "--data"),
    (("send-message", "payment_received", "--key", "NOBODY"),
     "no instance with business key 'NOBODY' waits for message 'payment_received'"),
    (("send-message", "payment_received", "--correlate", "{bad"), "--correlate"),
    (("send-message", "payment_received", "--key", "INV-1", "--data", "{bad"), "--data"),
    (("send-signal", "nobody_listens"), "no instance waits for signal 'nobody_listens'"),
    (("start", "msg_catch", "--user", "nobody"), "no active person with login 'nobody'"),
])
def test_refusals_are_one_line_and_change_nothing(rectiflow, database, args, message):
    rectiflow("start", "msg_catch", "--key", "INV-1")
    before = counts(database)
    assert message in rectiflow(*args, ok=False)
    assert counts(database) == before
