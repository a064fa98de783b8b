"""Import drafts: an upload becomes a draft and nothing else; corrections change the draft's tree;
confirming creates the round with the corrections and starts the lifecycles, once; cancelling leaves
nothing; ledger workbooks become a diff first. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import Actor, ConflictError, NotAllowed, WorkflowEngine
from workflows.errors import NotFoundError, ValidationError
from workflows.import_draft_edits import (
    fill_measure,
    merge_with_next,
    move_measure,
    promote_line,
    rename,
    sentences,
    split_measure,
)
from workflows.import_draft_ledger import confirm_ledger_draft, create_ledger_draft
from workflows.import_draft_tree import plan_from_json, plan_to_json
from workflows.import_drafts import (
    UploadRefused,
    cancel_draft,
    confirm_plan_draft,
    create_plan_draft,
    draft_plan,
    edit_plan_draft,
    open_drafts,
)
from workflows.models import DraftStatus, ImportDraft, InspectionRound, Measure
from workflows.plan_import import parse_file, parse_text
from workflows.plan_import.tree import EMPTY_TREE_NOTE
from workflows.plans import round_problems

from ..conftest import SEED
from ..lifecycle_helpers import deploy_lifecycle
from .plan_fixtures import FIXTURES, plan_counts, small_plan
from .xlsx_helpers import edit, export

DUCHA = Actor("ducha", groups=frozenset({"supervision"}))
OFFICER = Actor("officer1", groups=frozenset({"officer"}))
DOCX_LIMIT = 20 * 1024 * 1024


def upload(session: Session, wf_engine: WorkflowEngine, name: str = SEED.name, data: bytes | None = None,
           actor: Actor = DUCHA) -> ImportDraft:
    content = SEED.read_bytes() if data is None else data
    return create_plan_draft(session, actor, name, content, at=wf_engine.clock(), docx_max_xml_bytes=DOCX_LIMIT)


def draft_count(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ImportDraft)) or 0


def test_the_tree_survives_json_unchanged() -> None:
    for path in (SEED, *sorted(FIXTURES.glob("v*.txt"))):
        parsed = parse_file(path)
        again = plan_from_json(plan_to_json(parsed))
        assert again == parsed, path.name
        assert again.stats_mismatches() == parsed.stats_mismatches()


def test_an_upload_writes_one_draft_and_nothing_else(session: Session, wf_engine: WorkflowEngine) -> None:
    before = plan_counts(session)
    draft = upload(session, wf_engine)
    assert plan_counts(session) == before
    assert (draft.status, draft.created_by, draft.source_name) == (DraftStatus.OPEN, "ducha", SEED.name)
    plan = draft_plan(draft)
    assert (len(plan.parts), plan.problem_count, plan.measure_count) == (10, 25, 55)
    assert draft.lines[10] == SEED.read_text(encoding="utf-8").splitlines()[10]
    assert [d.id for d in open_drafts(session, DUCHA)] == [draft.id]


@pytest.mark.parametrize(("name", "data", "key"), [
    ("plan.txt", b"", "empty"),
    ("plan.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4, "binary"),
    ("plan.docx", "这不是 Word 文档".encode(), "not_docx"),
    ("plan.txt", "反馈问题".encode() * (1024 * 1024), "too_large"),
    ("plan.pdf", b"%PDF-1.4", "suffix"),
])
def test_bad_uploads_are_refused_and_save_nothing(session: Session, wf_engine: WorkflowEngine, name: str,
                                                  data: bytes, key: str) -> None:
    with pytest.raises(UploadRefused) as refused:
        if key == "suffix":
            from workflows.import_drafts import upload_kind
            upload_kind(name)
        upload(session, wf_engine, name, data)
    assert refused.value.message is not None and refused.value.message.key == f"imports.error.{key}"
    assert draft_count(session) == 0


def test_a_document_with_nothing_recognisable_is_kept_with_an_empty_tree(session: Session,
                                                                         wf_engine: WorkflowEngine) -> None:
    text = "会议通知\n请各单位于周五前报送材料。\n谢谢配合。\n"
    draft = upload(session, wf_engine, "通知.txt", text.encode("gb18030"))
    plan = plan_from_json(draft.tree)
    assert (len(plan.parts), plan.problem_count, plan.measure_count) == (0, 0, 0)
    assert plan.empty_note() == EMPTY_TREE_NOTE
    assert draft.lines == ["会议通知", "请各单位于周五前报送材料。", "谢谢配合。"]
    assert draft_count(session) == 1


def test_only_supervision_and_admin_work_with_drafts(session: Session, wf_engine: WorkflowEngine) -> None:
    with pytest.raises(NotAllowed):
        upload(session, wf_engine, actor=OFFICER)
    draft = upload(session, wf_engine)
    with pytest.raises(NotAllowed):
        cancel_draft(session, draft.id, OFFICER)
    assert draft_count(session) == 1


def test_corrections_change_the_draft_and_are_renumbered() -> None:
    plan = parse_file(SEED)
    first = plan.parts[0].problems[0]
    assert len(first.measures) == 2
    rename(plan, "1", "学习贯彻方面")
    rename(plan, "1.1", "理论学习不深入")
    rename(plan, "1.1.2", "主题发言每次不少于两位领导。")
    fill_measure(plan, "1.1.1", deadline=date(2026, 6, 30), long_term=False, leader="李书记", units="办公室、综治科")
    move_measure(plan, "1.2.4", "1.1")
    assert [m.ordinal for m in first.measures] == [1, 2, 3]
    assert first.measures[2].text.startswith("从2020年10月起")
    merge_with_next(plan, "1.1.2")
    assert len(first.measures) == 2 and first.measures[1].text.endswith("不能出席人员列明缺席原因。")
    long_text = first.measures[1].text
    split_measure(plan, "1.1.2", after_sentence=1)
    assert "".join(m.text for m in first.measures[1:]) == long_text
    split_measure(plan, "1.1.1", first="每两个月集中学习一次。", second="一年不少于6次。")
    assert [m.text for m in first.measures[:2]] == ["每两个月集中学习一次。", "一年不少于6次。"]
    assert first.measures[1].deadline == date(2026, 6, 30)  # both halves keep the deadline
    measure = first.measures[0]
    assert (plan.parts[0].title, first.title) == ("学习贯彻方面", "理论学习不深入")
    assert (measure.deadline, measure.responsible_leader, measure.responsible_units) == (
        date(2026, 6, 30), "李书记", ["办公室", "综治科"])
    fill_measure(plan, "1.1.1", deadline=None, long_term=True, leader="", units="")
    assert (measure.long_term, measure.deadline_text, measure.responsible_leader) == (True, "长期坚持", None)
    assert plan.measure_count == 56


@pytest.mark.parametrize("bad", [
    lambda p: rename(p, "1.1", "   "),
    lambda p: rename(p, "11", "x"),
    lambda p: move_measure(p, "1.1.1", "1.1"),
    lambda p: move_measure(p, "1.1.9", "1.2"),
    lambda p: merge_with_next(p, "1.1.2"),
    lambda p: split_measure(p, "1.1.1", after_sentence=5),
    lambda p: promote_line(p, 3, "1"),
    lambda p: fill_measure(p, "1.1.1", deadline=date(2026, 1, 1), long_term=True, leader="", units=""),
    lambda p: rename(p, "1.a", "x"),
])
def test_bad_corrections_are_refused(bad: object) -> None:
    plan = parse_file(SEED)
    before = plan_to_json(plan)
    with pytest.raises(ValidationError):
        bad(plan)  # type: ignore[operator]
    assert plan_to_json(plan) == before


def test_an_unplaced_line_becomes_a_problem() -> None:
    plan = parse_file(FIXTURES / "v7_text_before_markers.txt")
    if not plan.unassigned:
        plan = parse_text("第一部分 党建方面\n本部分说明文字。\n1.针对学习不够问题。\n一是加强学习。\n")
    line = plan.unassigned[0]
    problems = plan.problem_count
    promote_line(plan, line.lineno, "1")
    assert plan.problem_count == problems + 1 and line not in plan.unassigned
    assert plan.parts[0].problems[-1].title == line.text and plan.line_roles[line.lineno] == "problem"


def test_sentences_keep_their_punctuation() -> None:
    assert sentences("一是学习。二是整改；三是督查") == ["一是学习。", "二是整改；", "三是督查"]


def test_a_stale_form_is_refused(session: Session, wf_engine: WorkflowEngine) -> None:
    draft = upload(session, wf_engine)
    edit_plan_draft(session, draft.id, DUCHA, 0, lambda p: rename(p, "1.1", "新标题"))
    with pytest.raises(ConflictError):
        edit_plan_draft(session, draft.id, DUCHA, 0, lambda p: rename(p, "1.1", "旧表单"))
    assert draft_plan(draft).parts[0].problems[0].title == "新标题"


def test_confirming_creates_the_corrected_round_once(session: Session, wf_engine: WorkflowEngine) -> None:
    deploy_lifecycle(session, wf_engine)
    draft = upload(session, wf_engine)
    edit_plan_draft(session, draft.id, DUCHA, 0, lambda p: fill_measure(
        p, "1.1.1", deadline=date(2026, 6, 30), long_term=False, leader="", units=""))
    edit_plan_draft(session, draft.id, DUCHA, 1, lambda p: move_measure(p, "1.2.4", "1.1"))
    result = confirm_plan_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())
    round_ = session.get(InspectionRound, result.round_id)
    assert round_ is not None
    problems = round_problems(round_)
    assert (len(round_.parts), len(problems), sum(len(p.measures) for p in problems)) == (10, 25, 55)
    assert result.launched == 25 and all(p.instance_id for p in problems)
    first = problems[0].measures
    assert (len(first), first[0].deadline, first[2].text[:10]) == (3, date(2026, 6, 30), "从2020年10月起")
    assert (draft.status, draft.round_id) == (DraftStatus.CONFIRMED, round_.id)

    counts = plan_counts(session)
    with pytest.raises(ConflictError) as twice:
        confirm_plan_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())
    assert "already confirmed" in str(twice.value)
    assert plan_counts(session) == counts


def test_a_problem_without_measures_cannot_be_confirmed(session: Session, wf_engine: WorkflowEngine) -> None:
    deploy_lifecycle(session, wf_engine)
    draft = upload(session, wf_engine)
    edit_plan_draft(session, draft.id, DUCHA, 0, lambda p: move_measure(p, "1.1.1", "1.2"))
    edit_plan_draft(session, draft.id, DUCHA, 1, lambda p: move_measure(p, "1.1.1", "1.2"))
    before = plan_counts(session)
    with pytest.raises(ValidationError, match="1.1"):
        confirm_plan_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())
    assert plan_counts(session) == before and draft.status == DraftStatus.OPEN


def test_cancelling_leaves_nothing(session: Session, wf_engine: WorkflowEngine) -> None:
    before = plan_counts(session)
    draft = upload(session, wf_engine)
    cancel_draft(session, draft.id, DUCHA)
    assert draft_count(session) == 0 and plan_counts(session) == before
    with pytest.raises(NotFoundError):
        confirm_plan_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())


def test_a_ledger_workbook_becomes_a_diff_then_applies(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    data = export(session, plan)

    def change(book: Workbook) -> None:
        sheet = book.worksheets[0]
        for row in sheet.iter_rows(min_row=3):
            if row[3].value == "每两个月组织一次中心组集中学习":
                row[3].value = "每月组织一次中心组集中学习"
                row[7].value = date(2026, 5, 31)

    changed = edit(data, change)
    measure = plan.studying.measures[0]
    draft = create_ledger_draft(session, wf_engine, DUCHA, "台账.xlsx", changed, at=wf_engine.clock())
    assert measure.text == "每两个月组织一次中心组集中学习"  # nothing applied yet
    [diff] = draft.tree["changes"]
    assert diff["number"] == "1.1.1"
    fields = {f["field"]: (f["old"], f["new"]) for f in diff["fields"]}
    assert fields["measure"] == ("每两个月组织一次中心组集中学习", "每月组织一次中心组集中学习")
    assert fields["deadline"] == ("2026-03-31", "2026-05-31")

    result = confirm_ledger_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())
    session.refresh(measure)
    assert (result.round_id, measure.text, measure.deadline) == (plan.round.id, "每月组织一次中心组集中学习",
                                                                   date(2026, 5, 31))
    with pytest.raises(ConflictError):
        confirm_ledger_draft(session, wf_engine, draft.id, DUCHA, at=wf_engine.clock())


def test_an_unchanged_or_broken_workbook_is_refused(session: Session, wf_engine: WorkflowEngine) -> None:
    plan = small_plan(session, wf_engine)
    data = export(session, plan)
    for name, content, key in (("台账.xlsx", data, "no_changes"), ("台账.xlsx", b"PK\x03\x04junk", "not_xlsx"),
                               ("台账.xlsx", b"", "empty")):
        with pytest.raises(UploadRefused) as refused:
            create_ledger_draft(session, wf_engine, DUCHA, name, content, at=wf_engine.clock())
        assert refused.value.message is not None and refused.value.message.key == f"imports.error.{key}"
    broken = edit(data, lambda book: setattr(book.worksheets[0].cell(3, 5), "value", "查无此人"))
    with pytest.raises(UploadRefused) as refused:
        create_ledger_draft(session, wf_engine, DUCHA, "台账.xlsx", broken, at=wf_engine.clock())
    assert any("查无此人" in line for line in refused.value.lines)
    assert draft_count(session) == 0
    assert session.scalar(select(func.count()).select_from(Measure)) == 5
