"""people contacts and deadline history

People get a mobile number and an e-mail address (the people import sheet carries both, and
reminders will be sent to them). Every change of a measure's deadline is kept as a row of
``deadline_change`` (old, new, why, who, when), so the ledger shows 原定时限 → 调整后时限.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-20
"""
import sqlalchemy as sa
from alembic import op

from engine.types import UtcDateTime

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=200), nullable=True))
    op.create_table(
        'deadline_change',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('measure_id', sa.Integer(), nullable=False),
        sa.Column('old_deadline', sa.Date(), nullable=True),
        sa.Column('new_deadline', sa.Date(), nullable=True),
        sa.Column('source', sa.Enum('fill_in', 'extension', 'verification_failed', 'rebound', 'ledger_import',
                                    name='deadlinesource', native_enum=False, length=30), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('changed_by', sa.String(length=100), nullable=False),
        sa.Column('changed_at', UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['measure_id'], ['measure.id'], name=op.f('fk_deadline_change_measure_id_measure'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_change')),
    )
    with op.batch_alter_table('deadline_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_change_measure_id'), ['measure_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deadline_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_change_measure_id'))
    op.drop_table('deadline_change')
    with op.batch_alter_table('person', schema=None) as batch_op:
        batch_op.drop_column('email')
        batch_op.drop_column('phone')
