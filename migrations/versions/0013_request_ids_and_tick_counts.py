"""request ids and tick counts: each audit entry names the web request or scheduler tick that wrote it;
each scheduler replica counts its ticks and failed ticks (Prometheus counters)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('request_id', sa.String(length=64), nullable=True))
    with op.batch_alter_table('scheduler_heartbeat', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ticks', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('failed_ticks', sa.Integer(), nullable=False, server_default='0'))


def downgrade() -> None:
    with op.batch_alter_table('scheduler_heartbeat', schema=None) as batch_op:
        batch_op.drop_column('failed_ticks')
        batch_op.drop_column('ticks')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('request_id')
