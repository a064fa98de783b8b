"""done task index: the inbox's "done by me" tab seeks instead of scanning every task

A partial index over completed tasks by who completed them and when: the tab's count and its
newest-first page read only the person's own rows, however many tasks the system has done.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-16
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_DONE = "status = 'completed'"


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.create_index('ix_human_task_done', ['completed_by', 'completed_at'], unique=False,
                              sqlite_where=sa.text(_DONE), postgresql_where=sa.text(_DONE))


def downgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_index('ix_human_task_done', sqlite_where=sa.text(_DONE), postgresql_where=sa.text(_DONE))
