"""round kind: whether a round rectifies a 巡察, a 巡视 or an audit (审计)

Existing rounds were all imported as 巡察 rounds, which is what the server default gives them.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03
"""
import sqlalchemy as sa
from alembic import op

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('inspection_round') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=8), server_default='巡察', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('inspection_round') as batch:
        batch.drop_column('kind')
