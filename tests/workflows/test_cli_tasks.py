"""Tasks by ledger number on the command line: inbox, claim, complete with evidence files, ``task show``,
``rounds``; what a number with several open tasks or none says; ``complete --help``."""

from __future__ import annotations

import hashlib
import json
import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from web.cli.task_forms import TASK_REF_HELP
from workflows import forms
from workflows.models import Evidence

from ..conftest import SEED
from .demo_cli import OFFICER_OF, DemoCli
from .demo_template import demo_copy_fixture  # noqa: F401  (``demo``: a copy of the loaded demo)
from .evidence_samples import SAMPLES


def task_line(tasks: str, number: str) -> str:
    """The inbox line of the task on ledger number ``number``."""
    return next(line for line in tasks.splitlines() if re.match(rf"\d+\s+{re.escape(number)}\s", line))


def test_a_measure_is_claimed_and_completed_by_its_number_with_files_the_ledger_counts(demo: DemoCli) -> None:
    row = demo.ledger()["1.2.1"]
    assert OFFICER_OF[row.lead_unit] == "dzz" and row.status == "待整改"
    header, *_ = demo("tasks", "--user", "dzz").splitlines()
    assert header.split() == ["任务", "序号", "步骤", "单位", "期限", "办理人", "表单"]
    line = task_line(demo("tasks", "--user", "dzz"), "1.2.1")
    assert line.split()[1:] == ["1.2.1", "报送整改进展与佐证材料", row.lead_unit, row.deadline.isoformat(), "-",
                                "measure_progress"]

    task_id = line.split()[0]
    assert f"task {task_id} (1.2.1 报送整改进展与佐证材料) claimed by dzz" in demo("claim", "1.2.1", "--user", "dzz")
    assert task_line(demo("tasks", "--user", "dzz", "--mine"), "1.2.1").split()[5] == "吴芳(dzz)"

    # Evidence named by file name only is refused, not dropped; so are a wrong type and a disguised file.
    named = json.dumps({"progress": "已核对", "evidence": ["签到表.pdf"]})
    assert demo("complete", "1.2.1", "--user", "dzz", "--data", named, ok=False) == (
        "Error: attach files with --file; evidence in --data must be ids of stored files (evidence[0])\n")
    text_file = demo.sample("notes.txt", b"plain words")
    assert "notes.txt: this type of file cannot be uploaded" in demo(
        "complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "已核对"}', "--file", text_file, ok=False)
    disguised = demo.sample("现场.png", b"<html><script>alert(1)</script></html>")
    assert "现场.png: the content is not a .png file" in demo(
        "complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "已核对"}', "--file", disguised, ok=False)
    both = json.dumps({"progress": "已核对", "evidence": [1]})
    assert "either with --file or as ids in --data" in demo(
        "complete", "1.2.1", "--user", "dzz", "--data", both, "--file", demo.sample("a.pdf"), ok=False)
    assert demo.stored_files() == []
    refused = demo.ledger()["1.2.1"]
    assert (refused.status, refused.progress, refused.evidence_count) == ("整改中", "", 0)

    pdf, png = demo.sample("签到表.pdf"), demo.sample("现场.png")
    done = demo("complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "已核对考学情况"}',
                "--file", pdf, "--file", png)
    assert done == (f"task {task_id} (1.2.1 报送整改进展与佐证材料) completed with 2 evidence file(s): "
                    "签到表.pdf, 现场.png\n")
    after = demo.ledger()["1.2.1"]
    assert (after.status, after.progress, after.evidence_count) == ("待审批", "已核对考学情况", 2)  # 佐证材料 column
    with Session(demo.db) as session:
        rows = session.scalars(select(Evidence).order_by(Evidence.id)).all()
        assert [(e.filename, e.task_id, e.measure_id, e.uploaded_by) for e in rows] == [
            ("签到表.pdf", int(task_id), row.measure_id, "dzz"), ("现场.png", int(task_id), row.measure_id, "dzz")]
    for sample in ("pdf", "png"):  # content-addressed, as the web stores them
        digest = hashlib.sha256(SAMPLES[sample][0]).hexdigest()
        assert (demo.evidence_dir / digest[:2] / digest[2:]).read_bytes() == SAMPLES[sample][0]

    # The approval's form takes no files: said before anything is stored.
    demo("claim", "1.2.1", "--user", "shuji")
    assert "form (measure_review) takes no files" in demo(
        "complete", "1.2.1", "--user", "shuji", "--data", '{"review_decision": "approve"}', "--file", pdf, ok=False)


def test_task_show_tells_the_plan_the_holder_the_deadline_the_history_and_the_form(demo: DemoCli) -> None:
    row = demo.ledger()["1.2.1"]
    demo("claim", "1.2.1", "--user", "dzz")
    demo("complete", "1.2.1", "--user", "dzz", "--data", '{"progress": "已核对考学情况"}',
         "--file", demo.sample("签到表.pdf"))
    shown = demo("task", "show", "1.2.1").splitlines()
    assert shown[0].endswith("：审批整改措施（measure_approve）· 办理中")
    assert shown[1] == "轮次 1：广州市区委巡察第8组反馈意见整改（演示）"
    assert shown[2] == f"所属方面 1：{row.part}"
    assert shown[3] == f"问题 1.2：{row.problem} — 整改中"
    assert shown[4] == f"措施 1.2.1：{row.measure} — 待审批"
    assert shown[5:7] == ["办理人：待领取", f"可领取：{row.responsible_leader}(shuji)"]
    assert re.fullmatch(rf"办理时限：{row.deadline.isoformat()}（剩余 \d+ 天）", shown[7])
    assert shown[8:11] == ["表单 measure_review（审批整改措施）：",
                           "  review_decision（审批意见）: approve|return, required",
                           "  reason（退回理由）: text, required when review_decision is return"]
    history = "\n".join(shown[11:])
    assert re.search(r"吴芳 完成了“报送整改进展与佐证材料”  措施 1\.2\.1\n +整改进展：已核对考学情况\n"
                     r" +佐证材料：签到表\.pdf（\d+ B，编号 \d+）", history), history

    # --user: the web's rule; someone of another unit who never took part sees nothing.
    assert demo("task", "show", "1.2.1", "--user", "dzz").splitlines()[0] == shown[0]
    task_id = shown[0].split("：")[0].removeprefix("任务 ")
    assert demo("task", "show", task_id, "--user", "bgs", ok=False) == f"Error: task {task_id} does not exist\n"
    assert demo("task", "show", "1.2.1", "--user", "bgs", ok=False) == f"Error: task {task_id} does not exist\n"


def test_a_number_without_an_open_task_says_the_state_and_where_the_work_is(demo: DemoCli) -> None:
    demo.do_measure("1.2.1", "dzz", "shuji")
    assert re.fullmatch(r"Error: problem 1\.2 has no open task at problem level: \S+ — "
                        r"open tasks are at measure level: 1\.2\.2, 1\.2\.3\n",
                        demo("claim", "1.2", "--user", "ducha", ok=False))
    demo.do_measure("1.2.2", "dzz", "shuji")
    demo.do_measure("1.2.3", "dzz", "shuji")
    assert demo("claim", "1.2.1", "--user", "dzz", ok=False) == (
        "Error: measure 1.2.1 has no open task: 已完成 (problem 1.2: 待核实) — "
        "the open task is at problem level: 1.2\n")

    assert "(1.2 逐项核实) claimed by ducha" in demo("claim", "1.2", "--user", "ducha")
    assert "(1.2 逐项核实) completed" in demo("complete", "1.2", "--user", "ducha", "--data",
                                          '{"verify_decision": "pass"}')
    assert re.fullmatch(r"Error: problem 1\.2 has no open task at problem level: 已销号 — "
                        r"the next step opens when a timer fires on \d{4}-\d{2}-\d{2}\n",
                        demo("unclaim", "1.2", "--user", "ducha", ok=False))
    assert demo.ledger()["1.2.1"].problem_status == "已销号"


def test_numbers_are_read_in_the_newest_round_unless_told_and_rounds_lists_them(demo: DemoCli) -> None:
    demo("import-plan", SEED, "--no-launch")
    seed, own = demo.ledger(2), demo.ledger(1)
    lines = demo("rounds").splitlines()
    assert lines[0].split() == ["轮次", "标题", "被巡察单位", "巡察组", "问题", "措施", "措施完成", "问题销号",
                                "待办任务", "创建"]
    newest, first = lines[1].split(), lines[2].split()
    assert newest[0] == "2" and newest[4:9] == ["25", "55", "0/55", "0/25", "0"]
    problems = len({r.problem_id for r in own.values()})
    assert first[0] == "1" and first[4:8] == [str(problems), str(len(own)), f"0/{len(own)}", f"0/{problems}"]
    assert int(first[8]) == len(own)  # every measure waits for its officer

    assert demo("claim", "1.2.1", "--user", "dzz", ok=False) == (
        "Error: measure 1.2.1 has no open task: 未启动 — its problem's lifecycle has not been launched\n")
    assert "(1.2.1 报送整改进展与佐证材料) claimed by dzz" in demo("claim", "1.2.1", "--round", "1", "--user", "dzz")
    assert demo("claim", "1.2.1", "--round", "9", "--user", "dzz", ok=False) == (
        "Error: inspection round 9 does not exist\n")
    assert demo("claim", "99.1", "--user", "dzz", ok=False) == "Error: round 2 has no problem 99.1\n"
    assert demo("claim", "1.1.9", "--user", "dzz", ok=False) == (
        f"Error: problem 1.1 has no measure 1.1.9 (it has {sum(r.startswith('1.1.') for r in seed)})\n")
    assert "not a task id or a ledger number" in demo("claim", "1.x", "--user", "dzz", ok=False)


def test_complete_help_names_every_form_the_number_syntax_and_files(demo: DemoCli) -> None:
    shown = demo("complete", "--help")
    for key, form in forms.FORMS.items():
        assert f"\n    {key} ({forms.describe(key)['title']}):\n" in shown, key
        for field in form.fields:
            assert f"\n      {field.name}: " in shown, (key, field.name)
    assert "--file FILE" in shown and "2.2.1 is measure 1 of problem 2 of part 2" in shown
    assert "evidence: files: --file PATH (repeatable), or ids of stored files" in shown
    assert TASK_REF_HELP.split()[0] in demo("claim", "--help") and "ID_OR_NUMBER" in demo("task", "show", "--help")
