"""Benchmark: saving a workflow's state, incremental vs. full, orjson vs. the standard library.

N problems run through the rectification lifecycle in memory (returns, a failed verification with
a new deadline, overdue and periodic-report timers, a rebound at look-back, closure). After every
step the state is compacted and saved the way the engine saves it (``dump_state``: only what
changed), and also written in full with orjson and in full with the standard library (the work
every save did before), each timed once per step. Ratios are measured side by side in one run.

    python bench/state_dump.py [--n 30]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.serializer.helpers.encoder import create_encoder
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import engine  # noqa: E402,F401 - corrects SpiffWorkflow before anything runs
from engine import json_codec, state_fragments  # noqa: E402
from engine.compaction import compact  # noqa: E402
from engine.script_env import step_script_engine  # noqa: E402
from engine.serialization import STATE_VERSION, StateSerializer  # noqa: E402
from engine.state_fragments import StateAssembler  # noqa: E402
from engine.step import advance, running  # noqa: E402
from engine.timers import waiting_timers  # noqa: E402

DIAGRAM = ROOT / "bpmn" / "rectification.bpmn"
START = datetime(2026, 1, 5, 1, 0, tzinfo=UTC)


def problem_data(i: int, long_term: bool) -> dict:
    deadline = (START + timedelta(days=20)).isoformat()
    return {
        "problem": {"id": i, "long_term": long_term, "lead_unit": "U1", "leader": "leader"},
        "measures": [{"id": i * 10 + m, "deadline": deadline, "unit": "U1", "leader": "leader"} for m in range(3)],
        "lookback_delay": "P6M", "report_interval": "P1M", "reopen_count": 0, "new_deadline": None,
    }


def before(serializer: StateSerializer, workflow: BpmnWorkflow) -> str:
    """The save as it was before incremental dumps: one dict of everything, one ``json.dumps``."""
    registry, converter = serializer.registry, serializer._converter
    registry._encoder_mode = True
    try:
        dct = WorkflowConverter.to_dict(converter, workflow)
        dct["subprocesses"] = converter.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = registry.convert(workflow.bpmn_events)
        dct["format"] = STATE_VERSION
        return json.dumps(dct, cls=create_encoder(registry, None), ensure_ascii=False, separators=(",", ":"))
    finally:
        registry._encoder_mode = False


class Timings:
    def __init__(self, serializer: StateSerializer) -> None:
        self.serializer = serializer
        self.stdlib = StateAssembler(serializer.registry, lambda value: json_codec.stdlib_dumps(
            value, serializer._default), STATE_VERSION)
        self.seconds = {"incremental": 0.0, "full": 0.0, "full_stdlib": 0.0, "before": 0.0}
        self.saves = 0
        self.chars = 0

    def save(self, workflow: BpmnWorkflow) -> None:
        compact(workflow)
        s = self.serializer
        began = time.perf_counter()
        text = s.dump_state(workflow)
        self._add("incremental", began)
        began = time.perf_counter()
        full = s.dump_state_full(workflow)
        self._add("full", began)
        assert full == text
        s.registry._encoder_mode = True
        try:
            began = time.perf_counter()
            self.stdlib.dump(workflow, None)
            self._add("full_stdlib", began)
        finally:
            s.registry._encoder_mode = False
        began = time.perf_counter()
        before(s, workflow)
        self._add("before", began)
        self.saves += 1
        self.chars += len(text)

    def _add(self, name: str, began: float) -> None:
        self.seconds[name] += time.perf_counter() - began


ANSWERS = {
    "Task_submit_progress": {"progress": "进展", "measure_done": True, "evidence": [1]},
    "Task_close_long_term": {"close_note": "销号"},
    "Task_periodic_report": {"progress": "阶段进展", "evidence": []},
}


def once(decided: set[str], name: str) -> bool:
    """True the first time ``name`` is decided."""
    first = name not in decided
    decided.add(name)
    return first


def run(n: int) -> Timings:
    """Take n problems (every third long-term) through the lifecycle, saving after every step."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(DIAGRAM))
    spec, subs = parser.get_spec("rectification"), parser.get_subprocess_specs("rectification")
    scripts = step_script_engine()
    timings = Timings(StateSerializer())
    for i in range(n):
        workflow = BpmnWorkflow(spec, subs, script_engine=scripts)
        now = START
        decided: set[str] = set()  # each decision goes the unhappy way once, then the happy way
        with running(now, 60):
            for task in workflow.get_tasks(state=TaskState.READY):
                task.set_data(**problem_data(i, long_term=i % 3 == 2))
            advance(workflow, [])
        timings.save(workflow)
        for _ in range(200):
            if workflow.is_completed():
                break
            ready = workflow.get_tasks(state=TaskState.READY, manual=True)
            if not ready or (ready[0].task_spec.bpmn_id == "Task_close_long_term" and once(decided, "reports")):
                now += timedelta(days=45)  # overdue deadlines, report periods, the look-back delay
                with running(now + timedelta(microseconds=1), 60):
                    for _ in range(100):
                        advance(workflow, [])
                        if not any(when <= now for _, when in waiting_timers(workflow)):
                            break
                timings.save(workflow)
                continue
            task = ready[0]
            bpmn_id = task.task_spec.bpmn_id
            new_deadline = (now + timedelta(days=30)).isoformat()
            if bpmn_id == "Task_approve_measure":
                first = once(decided, str(task.data["measure"]["id"]))
                data = {"review_decision": "return" if first else "approve", "reason": "补充" if first else None}
            elif bpmn_id == "Task_verify":
                data = {"verify_decision": "fail", "reason": "未完成", "new_deadline": new_deadline} \
                    if once(decided, "verify") else {"verify_decision": "pass", "reason": None, "new_deadline": None}
            elif bpmn_id == "Task_lookback":
                data = {"lookback_decision": "rebound", "reason": "反弹", "new_deadline": new_deadline} \
                    if once(decided, "lookback") else \
                    {"lookback_decision": "consolidated", "reason": None, "new_deadline": None}
            else:
                data = ANSWERS[bpmn_id]
            with running(now, 60):
                task.set_data(**data)
                task.run()
                advance(workflow, [])
            timings.save(workflow)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=30, help="problems (3 measures each)")
    parser.add_argument("--reuse-unfinished", action="store_true", help="keep unfinished tasks' fragments too")
    args = parser.parse_args()
    if args.reuse_unfinished:
        state_fragments.REUSED = TaskState.ANY_MASK
    timings = run(args.n)
    ms = {name: seconds * 1000 / timings.saves for name, seconds in timings.seconds.items()}
    print(f"{timings.saves} saves of {args.n} problems, {timings.chars // timings.saves} characters of state each")
    print("ms per save: " + ", ".join(f"{name} {value:.3f}" for name, value in ms.items()))
    print(f"ratio incremental/full (both orjson): {ms['incremental'] / ms['full']:.2f}")
    print(f"ratio full orjson/full stdlib (same assembler): {ms['full'] / ms['full_stdlib']:.2f}")
    print(f"ratio full orjson/before (one dict, one json.dumps): {ms['full'] / ms['before']:.2f}")
    print(f"ratio incremental/before: {ms['incremental'] / ms['before']:.2f}")

if __name__ == "__main__":
    main()
