"""``rectiflow tick`` says what it did in words; a long-term problem's several open tasks by its number."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.deadlines import china_date
from workflows.models import Evidence

from .demo_cli import DemoCli
from .demo_template import demo_copy_fixture  # noqa: F401  (``demo``: a copy of the loaded demo)


def today() -> date:
    """Today in China, the day the demo's deadlines count from."""
    return china_date(datetime.now(UTC))


def close_problem_1_2(demo: DemoCli) -> None:
    """Every measure of 1.2 done and approved, then verified: 销号."""
    for number in ("1.2.1", "1.2.2", "1.2.3"):
        demo.do_measure(number, "dzz", "shuji")
    demo("claim", "1.2", "--user", "ducha")
    demo("complete", "1.2", "--user", "ducha", "--data", '{"verify_decision": "pass"}')


def test_tick_names_the_items_overdue_the_look_backs_opened_and_the_reports_due(demo: DemoCli) -> None:
    ledger = demo.ledger()
    assert ledger["1.3.1"].long_term and not ledger["1.2.1"].long_term
    close_problem_1_2(demo)
    for number in ("1.3.1", "1.3.2"):  # long-term: its measures done, it is followed up month by month
        demo.do_measure(number, "bgs", "shuji")
    assert demo("tick") == "timers fired: none due\n"

    soon = ledger["1.1.2"]
    assert soon.deadline is not None and soon.status == "待整改"
    ticked = demo("tick", "--now", (soon.deadline + timedelta(days=1)).isoformat())
    lines = ticked.splitlines()
    assert re.fullmatch(r"timers fired: \d+ problem\(s\) advanced", lines[0])
    overdue = [line for line in lines[1:] if line.startswith("  逾期：")]
    assert any(re.fullmatch(rf"  逾期：1\.1\.2 {re.escape(soon.measure[:20])}.*（整改时限 {soon.deadline}）", line)
               for line in overdue), ticked
    # Every measure still to do whose deadline passed since the demo was loaded (earlier ones were
    # overdue at once), except those of the closed problem 1.2 and the approved long-term 1.3.
    due_by_then = {n for n, r in ledger.items() if r.status == "待整改" and r.deadline and r.deadline <= soon.deadline
                   and not n.startswith(("1.2.", "1.3."))}
    assert [line.split()[0].removeprefix("逾期：") for line in overdue] == sorted(
        due_by_then, key=lambda n: [int(x) for x in n.split(".")])
    assert "instance" not in ticked and "回头看" not in ticked
    assert demo.ledger()["1.1.2"].status == "逾期"
    assert demo("tick", "--now", (soon.deadline + timedelta(days=1)).isoformat()) == "timers fired: none due\n"

    later = demo("tick", "--now", (today() + timedelta(days=200)).isoformat())
    assert "\n  回头看开始：1.2 党性教育开展不扎实\n" in later
    assert re.search(r"\n  定期报告到期：1\.3 意识形态责任制虚化（\d+ 期）\n", later), later
    assert demo.ledger()["1.2.1"].problem_status == "回头看"


def test_a_long_term_problem_with_several_open_tasks_resolves_to_the_actors_one(demo: DemoCli) -> None:
    for number in ("1.3.1", "1.3.2"):
        demo.do_measure(number, "bgs", "shuji")
    demo("tick", "--now", (today() + timedelta(days=70)).isoformat())  # two monthly report periods

    ambiguous = demo("claim", "1.3", "--user", "bgs", ok=False)
    reports = re.findall(r"task (\d+): 报送长期整改进展 \(unclaimed\)", ambiguous)
    assert ambiguous.startswith(f"Error: problem 1.3 has {len(reports)} open tasks; give the task id: task ")
    assert len(reports) == 2 and "长期整改跟踪与销号" not in ambiguous  # bgs may claim only the reports
    assert "(1.3 长期整改跟踪与销号) claimed by ducha" in demo("claim", "1.3", "--user", "ducha")
    everyone = demo("task", "show", "1.3", ok=False)  # no one acting: every open task is a candidate
    assert f"has {len(reports) + 1} open tasks" in everyone and "held by 赵督查 ducha" in everyone
    assert "长期整改跟踪与销号（close_long_term）" in demo("task", "show", "1.3", "--user", "ducha")

    demo("claim", reports[0], "--user", "bgs")  # by id; then the number means the one bgs holds
    done = demo("complete", "1.3", "--user", "bgs", "--data", json.dumps({"progress": "本月已开展专项研判"}),
                "--file", demo.sample("研判记录.pdf"))
    assert done == f"task {reports[0]} (1.3 报送长期整改进展) completed with 1 evidence file(s): 研判记录.pdf\n"
    with Session(demo.db) as session:
        [kept] = session.scalars(select(Evidence)).all()
        assert (kept.task_id, kept.measure_id, kept.filename) == (int(reports[0]), None, "研判记录.pdf")
    assert f"task {reports[1]} (1.3 报送长期整改进展) claimed by bgs" in demo("claim", "1.3", "--user", "bgs")
