"""evidence task: each evidence file names the task it was submitted with

Evidence used to hang off a measure only. From this revision a file is attached to the task
it was submitted with (``task_id``, so the history shows which submission carried it and
downloads follow who may see that task), and a file of a problem-level step (a long-term
item's periodic report, a verification) needs no measure, so ``measure_id`` may be empty.
Rows from before keep their measure and have no task.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-15
"""
from alembic import op
import sqlalchemy as sa

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.add_column(sa.Column('task_id', sa.Integer(), nullable=True))
        batch_op.alter_column('measure_id', existing_type=sa.Integer(), nullable=True)
        batch_op.create_index(batch_op.f('ix_evidence_task_id'), ['task_id'], unique=False)
        batch_op.create_foreign_key(
            batch_op.f('fk_evidence_task_id_human_task'), 'human_task', ['task_id'], ['id'], ondelete='SET NULL'
        )


def downgrade() -> None:
    # Files of problem-level steps have no measure and cannot be kept by revision 0003's schema.
    op.execute(sa.text('DELETE FROM evidence WHERE measure_id IS NULL'))
    with op.batch_alter_table('evidence', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_evidence_task_id_human_task'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_evidence_task_id'))
        batch_op.alter_column('measure_id', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('task_id')
