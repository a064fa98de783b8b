"""supervision: reminders, flagged problems (挂牌督办) and scheduler heartbeats

Reminders are stored rows (one per recipient and cause, so the same cause never reminds twice)
with their e-mail's state; a flag puts a problem under supervision with a reason and a tighter
deadline; each scheduler process records its ticks so that its state can be shown.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-21
"""
import sqlalchemy as sa
from alembic import op

from engine.types import UtcDateTime

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, length=30)


def upgrade() -> None:
    op.create_table(
        'reminder',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('recipient', sa.String(length=100), nullable=False),
        sa.Column('reason', _enum('reminderreason', 'warning', 'overdue', 'overdue_again', 'awaiting_verification',
                                  'flagged'), nullable=False),
        sa.Column('cause', sa.String(length=200), nullable=False),
        sa.Column('item_key', sa.String(length=200), nullable=True),
        sa.Column('problem_id', sa.Integer(), nullable=True),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('read_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('mail_status', _enum('mailstatus', 'none', 'pending', 'sent', 'failed'), nullable=False),
        sa.Column('mail_attempts', sa.Integer(), nullable=False),
        sa.Column('mail_next_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('mail_error', sa.Text(), nullable=True),
        sa.Column('mailed_at', UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_reminder_problem_id_problem'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_reminder')),
    )
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.create_index('ux_reminder_cause', ['recipient', 'cause'], unique=True)
        batch_op.create_index('ix_reminder_inbox', ['recipient', 'read_at'], unique=False)
        batch_op.create_index('ix_reminder_mail', ['mail_status', 'mail_next_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_reminder_problem_id'), ['problem_id'], unique=False)
    op.create_table(
        'problem_flag',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('problem_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('deadline', sa.Date(), nullable=False),
        sa.Column('flagged_by', sa.String(length=100), nullable=False),
        sa.Column('flagged_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('cleared_by', sa.String(length=100), nullable=True),
        sa.Column('cleared_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('clear_reason', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['problem_id'], ['problem.id'], name=op.f('fk_problem_flag_problem_id_problem'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_problem_flag')),
    )
    with op.batch_alter_table('problem_flag', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_problem_flag_problem_id'), ['problem_id'], unique=False)
        batch_op.create_index('ux_problem_flag_active', ['problem_id'], unique=True,
                              sqlite_where=sa.text('cleared_at IS NULL'), postgresql_where=sa.text('cleared_at IS NULL'))
    op.create_table(
        'scheduler_heartbeat',
        sa.Column('replica', sa.String(length=200), nullable=False),
        sa.Column('started_at', UtcDateTime(timezone=True), nullable=False),
        sa.Column('last_tick_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('next_tick_at', UtcDateTime(timezone=True), nullable=True),
        sa.Column('last_fired', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('replica', name=op.f('pk_scheduler_heartbeat')),
    )


def downgrade() -> None:
    op.drop_table('scheduler_heartbeat')
    with op.batch_alter_table('problem_flag', schema=None) as batch_op:
        batch_op.drop_index('ux_problem_flag_active', sqlite_where=sa.text('cleared_at IS NULL'),
                            postgresql_where=sa.text('cleared_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_problem_flag_problem_id'))
    op.drop_table('problem_flag')
    with op.batch_alter_table('reminder', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reminder_problem_id'))
        batch_op.drop_index(batch_op.f('ix_reminder_created_at'))
        batch_op.drop_index('ix_reminder_mail')
        batch_op.drop_index('ix_reminder_inbox')
        batch_op.drop_index('ux_reminder_cause')
    op.drop_table('reminder')
