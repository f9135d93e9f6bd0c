"""search word list, one search GIN index, date sort keys

A query word is searched as the indexed words it is a prefix of: ``engine_catalog_word`` lists
every lexeme of the search rows (PostgreSQL; kept by two triggers on ``engine_catalog_text``,
``docflow.engine.catalog.FULLTEXT_DDL``). One GIN index on (places, facets, tsv) replaces the
two search indexes before it. The search row keeps a copy of its type's date sort keys
(``sorts``), filled here for the rows indexed before (``docflow.engine.catalog.backfill``).

Revision ID: 4a7fa0551c09
Revises: 335a23a1ac35
Create Date: 2026-11-26 14:00:00.749669

"""
from alembic import op
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from docflow.engine import catalog

# revision identifiers, used by Alembic.
revision = '4a7fa0551c09'
down_revision = '335a23a1ac35'
branch_labels = None
depends_on = None

SORT_KEYS = sa.JSON().with_variant(postgresql.JSONB(), 'postgresql')
PG_NEW = catalog.FULLTEXT_DDL['postgresql'][1:]  # all but the tsv column, which exists


def upgrade():
    bind = op.get_bind()
    op.create_table('engine_catalog_word',
                    sa.Column('word', sa.Text(), nullable=False))
    op.create_index('ix_engine_catalog_word_prefix', 'engine_catalog_word', ['word'],
                    unique=False, postgresql_ops={'word': 'text_pattern_ops'})
    with op.batch_alter_table('engine_catalog_text', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sorts', SORT_KEYS, nullable=True))
    catalog.backfill(bind)  # the sort keys of the rows indexed before
    if bind.dialect.name == 'postgresql':
        for sql in PG_NEW:  # the one search index, the word list's triggers
            op.execute(sql)
        catalog.fill_words(bind)  # the words of the rows indexed before
        for name in catalog.REPLACED_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        op.drop_index('ix_engine_catalog_text_keys', table_name='engine_catalog_text')


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS engine_catalog_text_words_au ON engine_catalog_text")
        op.execute("DROP TRIGGER IF EXISTS engine_catalog_text_words_ai ON engine_catalog_text")
        op.execute("DROP FUNCTION IF EXISTS engine_catalog_word_add()")
        op.execute("DROP INDEX IF EXISTS ix_engine_catalog_text_search")
        op.execute("CREATE INDEX ix_engine_catalog_text_tsv ON engine_catalog_text USING gin (tsv)")
        op.create_index('ix_engine_catalog_text_keys', 'engine_catalog_text', ['places', 'facets'],
                        unique=False, postgresql_using='gin')
    else:
        op.create_index('ix_engine_catalog_text_keys', 'engine_catalog_text', ['places', 'facets'],
                        unique=False)
    with op.batch_alter_table('engine_catalog_text', schema=None) as batch_op:
        batch_op.drop_column('sorts')
    op.drop_index('ix_engine_catalog_word_prefix', table_name='engine_catalog_word')
    op.drop_table('engine_catalog_word')
