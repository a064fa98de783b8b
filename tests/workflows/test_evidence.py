"""Evidence on a running lifecycle: kept with a submission (all or nothing), listed, and seen only by those who may."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine import Actor, HumanTask, NotAllowed
from workflows.errors import NotFoundError, ValidationError
from workflows.evidence import evidence_for_instance, open_evidence, store_uploads
from workflows.evidence_store import DEFAULT_EXTENSIONS, EvidenceStore, Upload
from workflows.models import Evidence

from ..lifecycle_helpers import LEADER, OFFICER, OTHER_OFFICER, SUPERVISOR, finish_measures, open_tasks
from .evidence_samples import SAMPLES, pdf_bytes
from .plan_fixtures import SmallPlan, small_plan

LONE_OFFICER = Actor("officer9", groups=frozenset({"officer"}), units=frozenset({"U9"}))


@pytest.fixture
def plan(session, wf_engine) -> SmallPlan:
    return small_plan(session, wf_engine)


@pytest.fixture
def store(tmp_path) -> EvidenceStore:
    return EvidenceStore(tmp_path / "evidence", max_bytes=64 * 1024, allowed=frozenset(DEFAULT_EXTENSIONS),
                         max_files=5)


@pytest.fixture
def submit_task(session, wf_engine, plan) -> HumanTask:
    """The officer's claimed progress task of the first measure of 理论学习不够深入."""
    measure = plan.studying.measures[0]
    task = next(t for t in open_tasks(session, plan.studying.instance_id, "Task_submit_progress")
                if t.item_key == measure.item_key)
    wf_engine.claim(session, task.id, OFFICER)
    return task


def uploads(*files: tuple[str, bytes]) -> list[Upload]:
    return [Upload(name, io.BytesIO(content), None) for name, content in files]


def keep(session, wf_engine, task, store, *files, actor=OFFICER, measure_id=None) -> list[Evidence]:
    return store_uploads(session, uploads(*files), task=task, measure_id=measure_id, actor=actor, store=store,
                         now=wf_engine.clock())


def stored_files(store: EvidenceStore) -> list[Path]:
    return sorted(p for p in store.root.rglob("*") if p.is_file()) if store.root.exists() else []


def evidence_count(session) -> int:
    return session.scalar(select(func.count()).select_from(Evidence))


def test_every_accepted_file_of_a_submission_gets_a_row_linked_to_task_measure_and_uploader(
    session, wf_engine, plan, submit_task, store
):
    files = [(f"佐证{i}.{ext}", SAMPLES[ext][0]) for i, ext in enumerate(["pdf", "docx", "xlsx", "png", "jpg"])]
    rows = keep(session, wf_engine, submit_task, store, *files)
    measure = plan.studying.measures[0]
    assert [(r.filename, r.task_id, r.measure_id, r.uploaded_by) for r in rows] == [
        (name, submit_task.id, measure.id, "officer1") for name, _ in files
    ]
    assert {r.uploaded_at for r in rows} == {wf_engine.clock()}
    assert [store.path_for(r.storage_key).read_bytes() for r in rows] == [content for _, content in files]
    assert [r.id for r in evidence_for_instance(session, plan.studying.instance_id)] == [r.id for r in rows]
    assert evidence_for_instance(session, plan.finance.instance_id) == []


def test_the_same_content_twice_is_two_rows_and_one_file(session, wf_engine, submit_task, store):
    content = pdf_bytes("同一份材料")
    first, second = keep(session, wf_engine, submit_task, store, ("会议记录.pdf", content),
                         ("会议记录-副本.pdf", content))
    assert first.id != second.id and first.storage_key == second.storage_key
    assert len(stored_files(store)) == 1


@pytest.mark.parametrize(
    ("bad", "key"),
    [
        (("病毒.exe", b"MZ\x90\x00"), "evidence.type_not_allowed"),
        (("伪装.pdf", b"<html>not a pdf</html>"), "evidence.content_mismatch"),
        (("空.docx", b""), "evidence.empty"),
        (("过大.pdf", pdf_bytes() + b"x" * 64 * 1024), "evidence.too_large"),
        (("../../etc/passwd", b"root:x:0:0\n"), "evidence.type_not_allowed"),
        (("a\x00.pdf", pdf_bytes()), "evidence.nul_in_name"),
    ],
)
def test_one_bad_file_refuses_the_whole_submission_and_writes_nothing(session, wf_engine, submit_task, store, bad,
                                                                      key):
    with pytest.raises(ValidationError) as refused:
        keep(session, wf_engine, submit_task, store, ("会议纪要.pdf", SAMPLES["pdf"][0]), bad,
             ("照片.png", SAMPLES["png"][0]))
    assert refused.value.message is not None and refused.value.message.key == key
    assert evidence_count(session) == 0
    assert stored_files(store) == []


def test_too_many_files_are_refused_before_anything_is_written(session, wf_engine, submit_task, store):
    files = [(f"照片{i}.png", SAMPLES["png"][0] + bytes([i])) for i in range(6)]
    with pytest.raises(ValidationError, match="at most 5 files per submission, got 6"):
        keep(session, wf_engine, submit_task, store, *files)
    assert evidence_count(session) == 0
    assert stored_files(store) == []


def test_a_refused_submission_leaves_content_stored_earlier_in_place(session, wf_engine, submit_task, store):
    content = SAMPLES["pdf"][0]
    (earlier,) = keep(session, wf_engine, submit_task, store, ("方案.pdf", content))
    with pytest.raises(ValidationError):
        keep(session, wf_engine, submit_task, store, ("方案.pdf", content), ("空.pdf", b""))
    assert store.path_for(earlier.storage_key).read_bytes() == content
    assert stored_files(store) == [store.path_for(earlier.storage_key)]
    assert evidence_count(session) == 1


def test_only_the_holder_of_the_task_may_attach(session, wf_engine, plan, store):
    task = open_tasks(session, plan.studying.instance_id, "Task_submit_progress")[0]  # claimed by no one
    with pytest.raises(NotAllowed):
        keep(session, wf_engine, task, store, ("方案.pdf", SAMPLES["pdf"][0]))
    wf_engine.claim(session, task.id, OFFICER)
    with pytest.raises(NotAllowed):
        keep(session, wf_engine, task, store, ("方案.pdf", SAMPLES["pdf"][0]), actor=SUPERVISOR)
    assert evidence_count(session) == 0 and stored_files(store) == []


def test_the_holder_may_attach_to_the_task_just_completed(session, wf_engine, submit_task, store):
    wf_engine.complete(session, submit_task.id, OFFICER, {"progress": "已完成", "evidence": []})
    (row,) = keep(session, wf_engine, submit_task, store, ("方案.pdf", SAMPLES["pdf"][0]))
    assert row.task_id == submit_task.id


def test_a_measure_of_another_problem_is_refused(session, wf_engine, plan, submit_task, store):
    foreign = plan.finance.measures[0]
    with pytest.raises(ValidationError, match=f"measure {foreign.id} is not part of this task's problem"):
        keep(session, wf_engine, submit_task, store, ("方案.pdf", SAMPLES["pdf"][0]), measure_id=foreign.id)
    other = plan.studying.measures[1]
    (row,) = keep(session, wf_engine, submit_task, store, ("方案.pdf", SAMPLES["pdf"][0]), measure_id=other.id)
    assert row.measure_id == other.id


def test_files_of_a_problem_level_step_belong_to_the_task_alone(session, wf_engine, plan, store):
    finish_measures(session, wf_engine, plan.studying.instance_id)
    (verify,) = open_tasks(session, plan.studying.instance_id, "Task_verify")
    wf_engine.claim(session, verify.id, SUPERVISOR)
    (row,) = keep(session, wf_engine, verify, store, ("核查记录.pdf", SAMPLES["pdf"][0]), actor=SUPERVISOR)
    assert (row.task_id, row.measure_id) == (verify.id, None)
    assert row in evidence_for_instance(session, plan.studying.instance_id)


def test_evidence_is_opened_by_those_who_may_see_its_task_and_hidden_from_others(
    session, wf_engine, submit_task, store
):
    (row,) = keep(session, wf_engine, submit_task, store, ("方案.pdf", SAMPLES["pdf"][0]))
    for actor in (OFFICER, SUPERVISOR):  # the holder, supervision
        evidence, path = open_evidence(session, row.id, actor, store=store)
        assert evidence.id == row.id and path.read_bytes() == SAMPLES["pdf"][0]
    with pytest.raises(NotFoundError, match=f"evidence {row.id} does not exist"):
        open_evidence(session, row.id, LONE_OFFICER, store=store)
    with pytest.raises(NotFoundError, match="evidence 999999 does not exist"):
        open_evidence(session, 999_999, SUPERVISOR, store=store)
    with pytest.raises(NotFoundError):  # the leader has no part in this problem yet
        open_evidence(session, row.id, LEADER, store=store)
    wf_engine.complete(session, submit_task.id, OFFICER, {"progress": "已完成", "evidence": [row.id]})
    (approve,) = open_tasks(session, submit_task.instance_id, "Task_approve_measure")
    wf_engine.claim(session, approve.id, LEADER)
    assert open_evidence(session, row.id, LEADER, store=store)[0].id == row.id


def test_an_officer_of_the_unit_sees_evidence_another_unit_does_not(session, wf_engine, submit_task, store):
    (row,) = keep(session, wf_engine, submit_task, store, ("方案.pdf", SAMPLES["pdf"][0]))
    colleague = Actor("officer3", groups=frozenset({"officer"}), units=frozenset({"U1"}))
    assert open_evidence(session, row.id, colleague, store=store)[0].id == row.id
    with pytest.raises(NotFoundError):
        open_evidence(session, row.id, OTHER_OFFICER, store=store)  # unit U2: the task is not theirs to see


def test_evidence_without_a_task_follows_the_problems_tasks(session, wf_engine, plan, store):
    measure = plan.studying.measures[0]
    legacy = Evidence(measure_id=measure.id, task_id=None, filename="旧材料.pdf", content_type="application/pdf",
                      size=3, sha256="a" * 64, storage_key="aa/" + "a" * 62, uploaded_by="officer1",
                      uploaded_at=wf_engine.clock())
    session.add(legacy)
    session.flush()
    assert open_evidence(session, legacy.id, SUPERVISOR, store=store)[1] == store.root / "aa" / ("a" * 62)
    assert open_evidence(session, legacy.id, OFFICER, store=store)[0].id == legacy.id  # offered to unit U1
    with pytest.raises(NotFoundError):
        open_evidence(session, legacy.id, LONE_OFFICER, store=store)
    assert legacy in evidence_for_instance(session, plan.studying.instance_id)
