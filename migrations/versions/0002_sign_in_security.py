"""sign-in security: server-side sessions and failed-login counters

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""
from alembic import op
import sqlalchemy as sa
import engine.types

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_session',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.types.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['person.id'], name=op.f('fk_user_session_person_id_person'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_user_session'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_user_session_person_id'), ['person_id'], unique=False)

    op.create_table('login_throttle',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('account', 'address', name='throttlescope', native_enum=False, length=20), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('failures', sa.Integer(), nullable=False),
    sa.Column('window_start', engine.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('lockouts', sa.Integer(), nullable=False),
    sa.Column('locked_until', engine.types.UtcDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', engine.types.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_login_throttle')),
    sa.UniqueConstraint('scope', 'key', name=op.f('uq_login_throttle_scope_key'))
    )
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_login_throttle_updated_at'), ['updated_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('login_throttle', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_throttle_updated_at'))

    op.drop_table('login_throttle')
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_person_id'))
        batch_op.drop_index(batch_op.f('ix_user_session_created_at'))

    op.drop_table('user_session')
