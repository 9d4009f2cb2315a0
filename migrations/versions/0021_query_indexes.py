"""Indexes that keep searches and filters bounded whatever is typed (issue 25).

- ``ix_admin_auth_email_lower``: lower-case emails in their own order, so the command
  palette's "email starts with" answers its first five by walking the index (a prefix of
  one or two letters matches nearly every account; sorting them all took 79 ms at 200,000
  students). The existing ``text_pattern_ops`` index still serves narrow prefixes.

PostgreSQL only, built ``CONCURRENTLY`` (no lock on Flick's tables while they build);
SQLite's tables are small and skip them, as in 0005. Like 0005's, these indexes are
optional: the drift check ignores ``ix_admin_*`` indexes on Flick's tables.

Revision ID: 0021
Revises: 0016_college_delete_function
"""

from alembic import op

from flick_admin.db.migration_helpers import QUERY_INDEXES as INDEXES, is_postgres
from flick_admin.db.quoting import ident

revision = "0021"
down_revision = "0019"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if not is_postgres():
        return
    with op.get_context().autocommit_block():
        for name, table, keys in INDEXES:
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys})")


def downgrade() -> None:
    if not is_postgres():
        return
    for name, _table, _keys in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
