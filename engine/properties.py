"""The ``spiffworkflow:properties`` a diagram uses to tell the engine about its tasks.

Literal properties are plain strings; expression properties are evaluated in
the script sandbox against the task's data when the task becomes ready.

Who may claim a user task
-------------------------
A user (or manual) task is offered to the group named by, in this order:

1. its own ``candidate_group`` property;
2. its lane's ``candidate_group`` property, declared on the lane like a task's
   (``<bpmn:lane><bpmn:extensionElements><spiffworkflow:properties>``…);
3. its lane's id: a task in ``<bpmn:lane id="supervision" name="督查 Supervision">``
   is offered to the group ``supervision``.

Never the lane's *name*, which is display text. A task inside a sub-process takes the
sub-process's lane. Deploy resolves the rule once and writes the group into the
task's deployed ``properties``, and refuses a user task that has no group by this
rule and no ``candidate_user`` expression: nobody could ever claim it.
"""

from __future__ import annotations

# Literal: which group may claim the task (see the rule above), and which form it shows.
CANDIDATE_GROUP = "candidate_group"
FORM = "form"
# Literal: what the task is for in its process's lifecycle (``verify``, ``lookback``…), stored on
# its human_task row as written. The engine gives stages no meaning; the application reads them
# instead of BPMN ids, so a diagram can be redrawn as long as it keeps its stages.
STAGE = "stage"
# A throw event with an ``event`` property is recorded as a process_event row.
EVENT = "event"

# Expressions.
CANDIDATE_UNIT = "candidate_unit"
CANDIDATE_USER = "candidate_user"
ITEM_KEY = "item_key"
DUE = "due"

EXPRESSION_PROPERTIES = (CANDIDATE_UNIT, CANDIDATE_USER, ITEM_KEY, DUE)
