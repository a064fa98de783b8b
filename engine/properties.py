"""The ``spiffworkflow:properties`` a diagram uses to tell the engine about its tasks.

Literal properties are plain strings; expression properties are evaluated in
the script sandbox against the task's data when the task becomes ready.
"""

from __future__ import annotations

# Literal: which group may claim the task (defaults to the lane), and which form it shows.
CANDIDATE_GROUP = "candidate_group"
FORM = "form"
# A throw event with an ``event`` property is recorded as a process_event row.
EVENT = "event"

# Expressions.
CANDIDATE_UNIT = "candidate_unit"
CANDIDATE_USER = "candidate_user"
ITEM_KEY = "item_key"
DUE = "due"

EXPRESSION_PROPERTIES = (CANDIDATE_UNIT, CANDIDATE_USER, ITEM_KEY, DUE)
