"""Random input to the three doors hostile data comes through: only clean errors, nothing half-written.

Random JSON goes to ``complete`` on a claimed task of the real lifecycle, random text to the
plan parser and ``import_plan``, random small workbooks to ``import_ledger``. "Clean" means
the project's own error types — what the command line turns into one line. Each property
sets its world up once and runs every example inside a savepoint that is rolled back, so
examples never see each other's work. Bounded: a fixed number of examples, derandomised.
"""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import EngineError, HumanTask, ProcessInstance, TaskStateError, TaskStatus, WorkflowEngine, parse_json_data
from engine.models import AuditEntry
from workflows.errors import DomainError
from workflows.ledger import export_ledger, import_ledger
from workflows.models import Measure, Problem
from workflows.plan_import import PlanImportError, import_plan, parse_text

from .lifecycle_helpers import OFFICER, deploy_lifecycle, open_tasks, start
from .workflows.plan_fixtures import ADMIN, FIXTURES, plan_counts, small_plan


def fuzz(examples: int) -> settings:
    """Bounded and reproducible: no example database, no deadline, the same examples every run."""
    return settings(max_examples=examples, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def nested(levels: int) -> Any:
    value: Any = "leaf"
    for _ in range(levels):
        value = [value] if levels % 2 else {"k": value}
    return value


ODD = st.sampled_from(["\x00", "\ud800", "\udfff", "\udc80", "\x1b", "\x7f", "\t", "\r", "\n", "\u2028", "\ufeff",
                       "\\", '"', "'", "{", "]", "字", "😀"])
TEXT = st.text(st.one_of(st.characters(), ODD), max_size=30)
NUMBERS = st.one_of(
    st.integers(),
    st.integers(min_value=2**62, max_value=2**70),
    st.sampled_from([-(10**400), 2**63, -(2**63) - 1, 2**63 - 1]),
    st.integers(4300, 5000).map(lambda digits: 10**digits),  # past Python's int-to-text limit
    st.floats(),  # NaN and the infinities included
)
KEYS = st.one_of(
    st.sampled_from(["progress", "evidence", "reason", "review_decision", "measures", "problem", "new_deadline",
                     "_private", "__class__", "", "a b", "k" * 300]),
    st.from_regex(r"\A[a-z][a-z0-9_]{0,8}\Z"),
    TEXT,
)
JSON = st.recursive(
    st.one_of(st.none(), st.booleans(), NUMBERS, TEXT),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=20,
)
PAYLOADS = st.dictionaries(KEYS, st.one_of(JSON, st.integers(15, 60).map(nested)), max_size=5)


# -- random JSON to complete ---------------------------------------------------------------

def test_random_data_to_complete_gives_clean_errors_and_leaves_the_task_as_it_was(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    deploy_lifecycle(session, wf_engine)
    instance = start(session, wf_engine, measures=1)
    [task] = open_tasks(session, instance.id)
    wf_engine.claim(session, task.id, OFFICER)

    def state() -> tuple[Any, ...]:
        session.refresh(instance)
        row = session.get(HumanTask, task.id, populate_existing=True)
        assert row is not None
        done = session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "complete"))
        return row.status, row.assignee, instance.version, instance.state, done

    before = state()
    assert before[0] == TaskStatus.OPEN

    @fuzz(80)
    @given(payload=PAYLOADS)
    def feed(payload: dict[Any, Any]) -> None:
        savepoint = session.begin_nested()
        try:
            try:
                wf_engine.complete(session, task.id, OFFICER, payload)
                event("completed")
            except EngineError as exc:
                event(type(exc).__name__)
                assert "\n" not in str(exc)
                assert state() == before
        finally:
            savepoint.rollback()

    feed()
    assert state() == before


def as_json(value: Any, ascii_only: bool) -> str:
    try:
        return json.dumps(value, ensure_ascii=ascii_only)
    except ValueError:  # an integer past Python's int-to-text limit: spell it out
        return '{"n": ' + "9" * 5000 + "}"


JSON_TEXTS = st.one_of(
    TEXT,
    st.builds(as_json, PAYLOADS, st.booleans()),
    st.integers(1, 200).map(lambda n: '{"a":' + "[" * n + "1" + "]" * (n // 2)),
    st.builds(lambda text, at, junk: text[:at] + junk + text[at:], st.builds(as_json, PAYLOADS, st.just(False)),
              st.integers(0, 200), st.sampled_from(["[", "{", '"', "\\", "NaN", "-Infinity", "1e999", "\\u0000"])),
)


@fuzz(100)
@given(text=JSON_TEXTS)
def test_random_text_as_json_data_gives_one_line_errors(text: str) -> None:
    try:
        parse_json_data(text, what="--data")
    except TaskStateError as exc:
        assert "\n" not in str(exc)


# -- random text to the plan parser and import_plan ------------------------------------------

PLAN_TEXT = (FIXTURES / "v2_labelled_fields.txt").read_text(encoding="utf-8")
PLAN_WORDS = st.sampled_from([
    "\n", "一、总体要求", "（一）党的领导方面", "第一部分", "1.关于“", "”的问题", "整改措施：", "（1）", "（2）",
    "一是", "二是", "整改时限：", "2024年6月30日前", "长期坚持", "责任领导：", "王某某", "牵头单位：", "责任单位：",
    "办公室、法规审理科", "整改情况：已完成", "。", "；",
])


@st.composite
def plan_texts(draw: st.DrawFn) -> str:
    if draw(st.booleans()):
        return "".join(draw(st.lists(st.one_of(PLAN_WORDS, TEXT), min_size=1, max_size=60)))
    text = PLAN_TEXT
    for _ in range(draw(st.integers(1, 4))):  # the real plan, with random text dropped in
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(TEXT) + text[at:]
    return text


def test_random_plan_text_gives_clean_errors_and_nothing_half_written(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    deploy_lifecycle(session, wf_engine)
    before = plan_counts(session)

    @fuzz(60)
    @given(text=plan_texts())
    def feed(text: str) -> None:
        try:
            parsed = parse_text(text, source_name="fuzz.txt")  # what --dry-run shows
        except PlanImportError as exc:
            event("not a plan")
            assert "\n" not in str(exc)
            return
        savepoint = session.begin_nested()
        try:
            try:
                import_plan(session, wf_engine, parsed, actor=ADMIN, at=wf_engine.clock())
                event("imported")
            except (DomainError, EngineError) as exc:
                event(type(exc).__name__)
                assert "\n" not in str(exc)
                assert plan_counts(session) == before
        finally:
            savepoint.rollback()

    feed()
    assert plan_counts(session) == before


# -- random small workbooks to import_ledger --------------------------------------------------

# What openpyxl can write at all (XML forbids most control characters and every surrogate).
CELL_TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc"), include_characters="\t\n"), max_size=30)
CELL = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=False, allow_infinity=False),
    CELL_TEXT, st.dates(min_value=date(1900, 3, 1), max_value=date(9999, 1, 1)),
    st.datetimes(min_value=datetime(1900, 3, 1)),
    st.sampled_from(["=1+1", '=HYPERLINK("http://x","y")', "1.1", "2026-13-45", "长期坚持", "否", "是", "{}",
                     '{"long_term": "x"}', "[1,", "U1", "综治科", "leader1"]),
)
EDITS = st.lists(st.tuples(st.integers(1, 8), st.integers(1, 17), CELL), max_size=8)


def test_random_workbooks_give_clean_errors_and_nothing_half_written(
    session: Session, wf_engine: WorkflowEngine
) -> None:
    plan = small_plan(session, wf_engine)
    exported = io.BytesIO()
    export_ledger(session, [plan.round], exported)

    def snapshot() -> tuple[Any, ...]:
        measures = session.execute(select(Measure.id, Measure.text, Measure.deadline, Measure.deadline_text)
                                   .order_by(Measure.id)).all()
        problems = session.execute(select(Problem.id, Problem.title, Problem.long_term).order_by(Problem.id)).all()
        return plan_counts(session), measures, problems

    before = snapshot()

    @fuzz(40)
    @given(blank=st.booleans(), edits=EDITS, meta=st.lists(CELL, max_size=3), as_new=st.booleans())
    def feed(blank: bool, edits: list[tuple[int, int, Any]], meta: list[Any], as_new: bool) -> None:
        book = Workbook() if blank else load_workbook(io.BytesIO(exported.getvalue()))
        sheet = book.worksheets[0]
        for row, column, value in edits:
            sheet.cell(row=row, column=column, value=value)
        if "_meta" in book.sheetnames:
            for row, value in enumerate(meta, start=1):
                book["_meta"].cell(row=row, column=2, value=value)
        stream = io.BytesIO()
        book.save(stream)
        stream.seek(0)
        savepoint = session.begin_nested()
        try:
            try:
                import_ledger(session, wf_engine, stream, actor=ADMIN, at=wf_engine.clock(), as_new=as_new)
                event("imported")
            except (DomainError, EngineError) as exc:
                event(type(exc).__name__)
                assert str(exc)
                assert snapshot() == before
        finally:
            savepoint.rollback()

    feed()
    assert snapshot() == before
    assert session.scalar(select(func.count()).select_from(ProcessInstance)) == before[0]["ProcessInstance"]
