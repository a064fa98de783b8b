"""service incidents: service tasks that failed and wait for an administrator to retry or skip them

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

from engine.types import UtcDateTime

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('service_incident',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('task_id', sa.String(length=36), nullable=False),
    sa.Column('bpmn_id', sa.String(length=200), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.String(length=100), nullable=True),
    sa.Column('resolution', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_service_incident_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_incident'))
    )
    with op.batch_alter_table('service_incident', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_service_incident_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index('ix_service_incident_open', ['resolved_at', 'created_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('service_incident', schema=None) as batch_op:
        batch_op.drop_index('ix_service_incident_open')
        batch_op.drop_index(batch_op.f('ix_service_incident_instance_id'))

    op.drop_table('service_incident')
