"""inbox indexes in due order: each inbox lookup reads its soonest open tasks and stops

The partial indexes over open tasks go on to (due_at, id), and unit-less group tasks get an index
of their own (no database reads an index in order past an IS NULL term), so an inbox at 100,000
open instances reads a page's worth of rows per lookup instead of sorting every task offered.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_OPEN = "status = 'open'"
_CLAIMABLE = "status = 'open' AND assignee IS NULL"
_CLAIMABLE_BY_GROUP = "status = 'open' AND assignee IS NULL AND candidate_user IS NULL"
_CLAIMABLE_BY_GROUP_ANY_UNIT = _CLAIMABLE_BY_GROUP + " AND candidate_unit IS NULL"

# name: (columns before, columns after, predicate)
_CHANGED = {
    'ix_human_task_open_group': (['candidate_group', 'candidate_unit'],
                                 ['candidate_group', 'candidate_unit', 'due_at', 'id'], _CLAIMABLE_BY_GROUP),
    'ix_human_task_open_user': (['candidate_user'], ['candidate_user', 'due_at', 'id'], _CLAIMABLE),
    'ix_human_task_open_assignee': (['assignee'], ['assignee', 'due_at', 'id'], _OPEN),
}


def _create(batch_op, name: str, columns: list[str], where: str) -> None:
    batch_op.create_index(name, columns, unique=False, sqlite_where=sa.text(where), postgresql_where=sa.text(where))


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        for name, (_before, after, where) in _CHANGED.items():
            batch_op.drop_index(name)
            _create(batch_op, name, after, where)
        _create(batch_op, 'ix_human_task_open_group_any_unit', ['candidate_group', 'due_at', 'id'],
                _CLAIMABLE_BY_GROUP_ANY_UNIT)


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_open_group_any_unit')
        for name, (before, _after, where) in _CHANGED.items():
            batch_op.drop_index(name)
            _create(batch_op, name, before, where)
