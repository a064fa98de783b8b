"""publishing and import drafts: report snapshots, public feedback, uploads held for review

A publication is an immutable snapshot of a round's progress report as the public saw it;
public feedback (意见建议) is triaged by supervision through its own process instance; an
import draft holds an uploaded plan or ledger workbook until it is confirmed or cancelled.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from engine.db import JsonType
from engine.types import UtcDateTime

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('import_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('plan', 'ledger', name='draftkind', native_enum=False, length=30), nullable=False),
    sa.Column('status', sa.Enum('open', 'confirmed', name='draftstatus', native_enum=False, length=30), nullable=False),
    sa.Column('source_name', sa.String(length=300), nullable=False),
    sa.Column('lines', JsonType, nullable=False),
    sa.Column('tree', JsonType, nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('created_by', sa.String(length=100), nullable=False),
    sa.Column('created_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('confirmed_at', UtcDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'],
                            name=op.f('fk_import_draft_round_id_inspection_round'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_draft'))
    )
    with op.batch_alter_table('import_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_import_draft_created_by'), ['created_by'], unique=False)

    op.create_table('publication',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('html', sa.Text(), nullable=False),
    sa.Column('markdown', sa.Text(), nullable=False),
    sa.Column('figures', JsonType, nullable=False),
    sa.Column('published_by', sa.String(length=100), nullable=False),
    sa.Column('published_at', UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'],
                            name=op.f('fk_publication_round_id_inspection_round'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_publication')),
    sa.UniqueConstraint('round_id', 'version', name=op.f('uq_publication_round_id_version'))
    )
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_publication_published_at'), ['published_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_publication_round_id'), ['round_id'], unique=False)

    op.create_table('public_feedback',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('publication_id', sa.Integer(), nullable=True),
    sa.Column('round_id', sa.Integer(), nullable=True),
    sa.Column('name', sa.String(length=50), nullable=True),
    sa.Column('contact', sa.String(length=100), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('address_hash', sa.String(length=64), nullable=False),
    sa.Column('submitted_at', UtcDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('new', 'replied', 'forwarded', 'dismissed',
                                  name='feedbackstatus', native_enum=False, length=30), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=True),
    sa.Column('reply', sa.Text(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('problem_id', sa.Integer(), nullable=True),
    sa.Column('handled_by', sa.String(length=100), nullable=True),
    sa.Column('handled_at', UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'],
                            name=op.f('fk_public_feedback_instance_id_process_instance')),
    sa.ForeignKeyConstraint(['problem_id'], ['problem.id'],
                            name=op.f('fk_public_feedback_problem_id_problem'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['publication_id'], ['publication.id'],
                            name=op.f('fk_public_feedback_publication_id_publication'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['round_id'], ['inspection_round.id'],
                            name=op.f('fk_public_feedback_round_id_inspection_round'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_feedback'))
    )
    with op.batch_alter_table('public_feedback', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_public_feedback_address_hash'), ['address_hash'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_feedback_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_feedback_publication_id'), ['publication_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_feedback_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_public_feedback_submitted_at'), ['submitted_at'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('public_feedback', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_public_feedback_submitted_at'))
        batch_op.drop_index(batch_op.f('ix_public_feedback_round_id'))
        batch_op.drop_index(batch_op.f('ix_public_feedback_publication_id'))
        batch_op.drop_index(batch_op.f('ix_public_feedback_instance_id'))
        batch_op.drop_index(batch_op.f('ix_public_feedback_address_hash'))

    op.drop_table('public_feedback')
    with op.batch_alter_table('publication', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_publication_round_id'))
        batch_op.drop_index(batch_op.f('ix_publication_published_at'))

    op.drop_table('publication')
    with op.batch_alter_table('import_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_import_draft_created_by'))

    op.drop_table('import_draft')
