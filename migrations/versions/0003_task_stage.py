"""task stage: each human task's declared stage (its literal ``stage`` property)

Earlier versions of the rectification diagram declared no stages, and the domain told its
tasks apart by BPMN id. So that problems started on those versions keep their statuses, this
revision gives their tasks the stage that the ids stood for: on the tasks already opened, and
in the stored specs of those versions, so the tasks they open from now on carry it too. The
stored XML stays as it was deployed.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-08
"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

PROCESS_KEY = 'rectification'
# The rectification diagram's user tasks as of this revision, frozen here on purpose.
STAGES = {
    'Task_submit_progress': 'measure_submit',
    'Task_approve_measure': 'measure_approve',
    'Task_verify': 'verify',
    'Task_close_long_term': 'close_long_term',
    'Task_periodic_report': 'long_term_report',
    'Task_lookback': 'lookback',
}

human_task = sa.table(
    'human_task',
    sa.column('process_key', sa.String()), sa.column('bpmn_id', sa.String()), sa.column('stage', sa.String()),
)
process_definition = sa.table(
    'process_definition',
    sa.column('id', sa.Integer()), sa.column('process_key', sa.String()),
    sa.column('specs', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql')),
)


def upgrade() -> None:
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stage', sa.String(length=50), nullable=True))

    for bpmn_id, stage in STAGES.items():
        op.execute(
            human_task.update()
            .where(human_task.c.process_key == PROCESS_KEY, human_task.c.bpmn_id == bpmn_id,
                   human_task.c.stage.is_(None))
            .values(stage=stage)
        )
    connection = op.get_bind()
    ids = connection.execute(
        sa.select(process_definition.c.id).where(process_definition.c.process_key == PROCESS_KEY)
    ).scalars().all()
    for definition_id in ids:  # one version at a time: specs are large
        specs = connection.execute(
            sa.select(process_definition.c.specs).where(process_definition.c.id == definition_id)
        ).scalar_one()
        if _add_stages(specs):
            connection.execute(
                process_definition.update().where(process_definition.c.id == definition_id).values(specs=specs)
            )


def _add_stages(specs: dict) -> bool:
    """Give the known user tasks of one version's stored specs their stage; True if any changed."""
    changed = False
    processes = [specs.get('spec') or {}, *(specs.get('subprocess_specs') or {}).values()]
    for process in processes:
        for task_spec in (process.get('task_specs') or {}).values():
            stage = STAGES.get(task_spec.get('bpmn_id'))
            if stage is None or task_spec.get('typename') != 'UserTask':
                continue
            extensions = task_spec.get('extensions') or {}
            properties = extensions.get('properties') or {}
            if not properties.get('stage'):
                properties['stage'] = stage
                extensions['properties'] = properties
                task_spec['extensions'] = extensions
                changed = True
    return changed


def downgrade() -> None:
    # The stage properties stay in the stored specs: the code of revision 0002 ignores them.
    with op.batch_alter_table('human_task', schema=None) as batch_op:
        batch_op.drop_column('stage')
