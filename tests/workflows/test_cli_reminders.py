"""``rectiflow reminders``: a person's reminders, unread first, marked read on request; ``--send`` runs the
scheduler's reminder job once (and mails through SMTP when it is configured).

The demo plan's deadlines count from today: 1.1.1 was due five days ago, 1.1.2 is due in twelve days
(吴芳 dzz of 机关党总支 is their officer, 李书记 shuji their leader).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workflows.deadlines import china_date
from workflows.models import Person

from ..web.smtp_server import Mailbox, smtp_server
from .demo_cli import DemoCli
from .demo_template import demo_copy_fixture  # noqa: F401  (``demo``: a copy of the loaded demo)


def today() -> date:
    return china_date(datetime.now(UTC))


def test_reminders_of_a_person_unread_first_and_marked_read(demo: DemoCli) -> None:
    ledger = demo.ledger()
    soon, late = ledger["1.1.2"], ledger["1.1.1"]
    assert soon.deadline == today() + timedelta(days=12) and late.deadline is not None
    assert demo("reminders", ok=False).startswith("Error: give --user LOGIN")
    assert demo("reminders", "--user", "dzz", "--now", "2030-01-01", ok=False) == "Error: --now goes with --send\n"
    assert demo("reminders", "--user", "dzz") == "吴芳（dzz）的提醒：未读 0 条，共 0 条\n(none)\n"

    sent = demo("reminders", "--send", "--now", (today() + timedelta(days=2)).isoformat())
    assert sent.startswith("reminders created: ") and "SMTP_HOST not set" in sent
    shown = demo("reminders", "--user", "dzz").splitlines()
    header, columns, rows = shown[0], shown[1], shown[2:]
    assert header == f"吴芳（dzz）的提醒：未读 {len(rows)} 条，共 {len(rows)} 条"
    assert columns.split() == ["状态", "时间", "类别", "提醒", "邮件"]
    assert any(f"【临期预警】1.1.2 理论学习不够深入：整改时限 {soon.deadline}（剩余 10 天）" in row for row in rows)
    overdue_days = (today() + timedelta(days=2) - late.deadline).days
    assert any(f"【逾期督办】1.1.1 理论学习不够深入：整改时限 {late.deadline}（已逾期 {overdue_days} 天）" in row
               for row in rows)
    assert all(row.startswith("未读") for row in rows)
    leader = demo("reminders", "--user", "shuji")
    assert "【逾期督办】1.1.1" in leader and "临期预警" not in leader

    marked = demo("reminders", "--user", "dzz", "--mark-read").splitlines()
    assert marked[-1] == f"已标为已读：{len(rows)} 条"
    assert demo("reminders", "--user", "dzz") == f"吴芳（dzz）的提醒：未读 0 条，共 {len(rows)} 条\n(none)\n"
    every = demo("reminders", "--user", "dzz", "--all").splitlines()[2:]
    assert len(every) == len(rows) and all(row.startswith("已读") for row in every)
    assert demo("reminders", "--user", "nobody", ok=False) == "Error: no person with login 'nobody'\n"
    again = demo("reminders", "--send", "--now", (today() + timedelta(days=2)).isoformat())
    assert again.startswith("reminders created: 0 ")


def test_send_mails_through_the_configured_server(demo: DemoCli, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(demo.db) as session, session.begin():
        session.execute(update(Person).where(Person.login == "dzz").values(email="wufang@example.cn"))
    with smtp_server() as mailbox:
        _configure(monkeypatch, mailbox)
        sent = demo("reminders", "--send", "--now", (today() + timedelta(days=2)).isoformat())
        assert sent.startswith("reminders created: ") and sent.endswith("mail sent: 4, to retry: 0, failed: 0\n")
        subjects = sorted(str(m["Subject"]) for m in mailbox.to("wufang@example.cn"))
    # 1.1 and 8.1 are 机关党总支's: a measure overdue and one near its deadline in each
    assert [s[:11] for s in subjects] == [
        "【临期预警】1.1.2", "【临期预警】8.1.2", "【逾期督办】1.1.1", "【逾期督办】8.1.1"]
    listed = demo("reminders", "--user", "dzz")
    assert listed.count("已发送") == 4
    with Session(demo.db) as session:
        assert session.scalar(select(Person.email).where(Person.login == "dzz")) == "wufang@example.cn"


def _configure(monkeypatch: pytest.MonkeyPatch, mailbox: Mailbox) -> None:
    for key, value in mailbox.settings().items():
        monkeypatch.setenv(f"RECTIFLOW_{key}", str(value))
