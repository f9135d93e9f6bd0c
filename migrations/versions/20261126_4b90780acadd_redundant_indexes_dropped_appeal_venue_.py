"""redundant indexes dropped: appeal venue_id and registered_on, engine_item restricted and path

Every intake writes every index of ``appeal`` and ``engine_item`` (issue 5). Two of them are
the first column of a composite index that serves the same lookups (``uq_appeal_venue_year_seq``
and ``ix_appeal_report_registered``), a boolean's own index served no query (the visibility
filter reads ``restricted`` with the state and the places), and ``ix_engine_item_path_prefix``
(``varchar_pattern_ops`` on PostgreSQL, a plain index on SQLite) serves every lookup by path
that ``ix_engine_item_path`` did: no query compares paths except for equality and prefixes.

Revision ID: 4b90780acadd
Revises: 4a7fa0551c09
Create Date: 2026-11-26 21:52:23.565276

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b90780acadd'
down_revision = '4a7fa0551c09'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeal_registered_on'))
        batch_op.drop_index(batch_op.f('ix_appeal_venue_id'))

    with op.batch_alter_table('engine_item', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_engine_item_restricted'))
        batch_op.drop_index(batch_op.f('ix_engine_item_path'))


def downgrade():
    with op.batch_alter_table('engine_item', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_engine_item_path'), ['path'], unique=False)
        batch_op.create_index(batch_op.f('ix_engine_item_restricted'), ['restricted'], unique=False)

    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeal_venue_id'), ['venue_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_appeal_registered_on'), ['registered_on'], unique=False)
