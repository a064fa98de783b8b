"""Dropping finished history from a workflow's task tree.

SpiffWorkflow keeps every task it ever ran: a problem returned 400 times
has a task tree thousands of levels deep, and every load, step and save walks
all of it, so each step gets slower than the last. The engine keeps history
in its own tables (audit log, human tasks, events); the workflow only needs
the part of the tree that can still change.

For each (sub)workflow, the lowest common ancestor of all unfinished tasks
is the point where every live branch meets. Everything outside that
ancestor's subtree is finished and unreachable by what still runs (joins
look for their split among the live task's ancestors, which the subtree
keeps), so it is dropped and the ancestor re-attached under the root.
"""

from __future__ import annotations

from uuid import UUID

from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

# Below this many tasks a (sub)workflow is left alone: compaction would save little.
THRESHOLD = 64


def compact(workflow: BpmnWorkflow, threshold: int = THRESHOLD) -> int:
    """Drop finished history from the workflow and its subprocesses; returns tasks dropped."""
    dropped = 0
    for sub in [workflow, *list(workflow.subprocesses.values())]:
        if sub is not workflow and sub.parent_task_id not in workflow.subprocesses:
            continue  # went with an ancestor dropped earlier in this pass
        if len(sub.tasks) > threshold:
            dropped += _compact(workflow, sub)
    return dropped


def _compact(top: BpmnWorkflow, workflow) -> int:  # type: ignore[no-untyped-def]
    root = workflow.task_tree
    # A failed service task (ERROR counts as finished) waits for an administrator's retry: keep it.
    live = [t for t in workflow.tasks.values()
            if not t.has_state(TaskState.FINISHED_MASK) or t.state == TaskState.ERROR]
    if not live:
        return 0
    meeting = _common_ancestor(live)
    if meeting is root or meeting.parent is root:
        return 0
    keep = _subtree_ids(meeting) | {root.id}
    drop = [task_id for task_id in workflow.tasks if task_id not in keep]
    for task_id in drop:
        _drop_subprocess(top, task_id)
        del workflow.tasks[task_id]
    root._children = [meeting.id]
    meeting._parent = root.id
    if workflow.last_task is not None and workflow.last_task.id not in keep:
        workflow.last_task = None
    return len(drop)


def _common_ancestor(tasks: list[Task]) -> Task:
    chain = _ancestors(tasks[0])
    position = {task.id: i for i, task in enumerate(chain)}
    highest = 0
    for task in tasks[1:]:
        node: Task | None = task
        while node is not None and node.id not in position:
            node = node.parent
        if node is not None:
            highest = max(highest, position[node.id])
    return chain[highest]


def _ancestors(task: Task) -> list[Task]:
    """The task, its parent, and so on up to the root."""
    chain = []
    node: Task | None = task
    while node is not None:
        chain.append(node)
        node = node.parent
    return chain


def _subtree_ids(task: Task) -> set[UUID]:
    ids, stack = set(), [task]
    while stack:
        node = stack.pop()
        ids.add(node.id)
        stack.extend(node.children)
    return ids


def _drop_subprocess(top: BpmnWorkflow, task_id: UUID) -> None:
    sub = top.subprocesses.pop(task_id, None)
    if sub is not None:
        for inner_id in list(sub.tasks):
            _drop_subprocess(top, inner_id)
