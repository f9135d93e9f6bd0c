"""worklist open flag (appeal.is_open, kept by triggers) and the search row's copied columns

The worklist reads a responsible officer's open appeals as one range of
``ix_appeal_open_responsible_due``; ``appeal.is_open`` is kept by two triggers
(``docflow.reception.models.install_open_mirror``). The search row (``engine_catalog_text``)
carries the item's type, state, restriction, owner, modification time, places and facet keys,
filled here once for the rows indexed before (``docflow.engine.catalog.backfill``).

Revision ID: 4857b62cf54e
Revises: 77ada355c13d
Create Date: 2026-11-26 11:21:15.297602

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from docflow.engine import catalog
from docflow.reception.models import FINAL_STATES_SQL, add_open_column, install_open_mirror

# revision identifiers, used by Alembic.
revision = '4857b62cf54e'
down_revision = '77ada355c13d'
branch_labels = None
depends_on = None

KEYS = sa.JSON().with_variant(postgresql.ARRAY(sa.Text()), 'postgresql')


def upgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        add_open_column(bind)  # the column (true on open appeals only) and its triggers
    else:
        with op.batch_alter_table('appeal', schema=None) as batch_op:
            batch_op.add_column(sa.Column('is_open', sa.Boolean(), server_default=sa.text('1'),
                                          nullable=False))
        op.execute(f"UPDATE appeal SET is_open = COALESCE((SELECT state NOT IN {FINAL_STATES_SQL} "
                   "FROM engine_item WHERE engine_item.id = appeal.id), 1)")
        install_open_mirror(bind)
    op.create_index('ix_appeal_open_responsible_due', 'appeal', ['responsible_id', 'reply_due', 'id'],
                    unique=False, postgresql_where=sa.text('is_open'),
                    sqlite_where=sa.text('is_open'))

    with op.batch_alter_table('engine_catalog_text', schema=None) as batch_op:
        batch_op.add_column(sa.Column('type', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('state', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('restricted', sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('modified_at', sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column('places', KEYS, nullable=True))
        batch_op.add_column(sa.Column('facets', KEYS, nullable=True))
    catalog.backfill(bind)
    op.create_index('ix_engine_catalog_text_keys', 'engine_catalog_text', ['places', 'facets'],
                    unique=False, postgresql_using='gin')


def downgrade():
    bind = op.get_bind()
    op.drop_index('ix_engine_catalog_text_keys', table_name='engine_catalog_text')
    with op.batch_alter_table('engine_catalog_text', schema=None) as batch_op:
        for column in ('facets', 'places', 'modified_at', 'owner_id', 'restricted', 'state', 'type'):
            batch_op.drop_column(column)

    op.drop_index('ix_appeal_open_responsible_due', table_name='appeal')
    if bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS trg_appeal_is_open_insert ON appeal")
        op.execute("DROP TRIGGER IF EXISTS trg_engine_item_appeal_is_open ON engine_item")
        op.execute("DROP FUNCTION IF EXISTS appeal_is_open_on_insert()")
        op.execute("DROP FUNCTION IF EXISTS appeal_is_open_from_item()")
    else:
        op.execute("DROP TRIGGER IF EXISTS trg_appeal_is_open_insert")
        op.execute("DROP TRIGGER IF EXISTS trg_engine_item_appeal_is_open")
    with op.batch_alter_table('appeal', schema=None) as batch_op:
        batch_op.drop_column('is_open')
