"""assignment load counter, redundant single-column indexes dropped

``assignment_load`` (docflow/reception/load.py) counts each responsible employee's open appeals
per body, the least-loaded rule's input; filled here from the appeals (``load.recount``). Four
single-column indexes go: a composite index leads with each column (every intake wrote both).

Revision ID: 335a23a1ac35
Revises: 4857b62cf54e
Create Date: 2026-11-26 11:23:06.486067

"""
from alembic import op
import sqlalchemy as sa

from docflow.reception import load


# revision identifiers, used by Alembic.
revision = '335a23a1ac35'
down_revision = '4857b62cf54e'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('assignment_load',
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('open_count', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['body.id'], name=op.f('fk_assignment_load_body_id_body'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['user_account.id'], name=op.f('fk_assignment_load_user_id_user_account'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('body_id', 'user_id', name=op.f('pk_assignment_load'))
    )
    load.recount(connection=op.get_bind())
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_channel'))
        batch_op.drop_index(batch_op.f('ix_appeal_responsible_id'))

    with op.batch_alter_table('engine_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_item_type'))

    with op.batch_alter_table('engine_item_place', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_item_place_place'))



def downgrade():
    with op.batch_alter_table('engine_item_place', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_item_place_place'), ['place'], unique=False)

    with op.batch_alter_table('engine_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_item_type'), ['type'], unique=False)

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_responsible_id'), ['responsible_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_channel'), ['channel'], unique=False)

    op.drop_table('assignment_load')
