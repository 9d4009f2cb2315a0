"""Indexes for text search and the remaining single filters of the big lists.

PostgreSQL: trigram (``pg_trgm``) GIN indexes serve ``ILIKE '%word%'`` on post titles and
texts, comments, usernames, emails and audit reasons. The extension is created when the
migration's role may create it; where it may not, the migration says so and carries on —
the pages still work, searching by scanning. These indexes are optional, so the drift
check ignores them.

Revision ID: 0005_search_indexes
Revises: 0004_audit_chain
"""

from alembic import op

from flick_admin.db.migration_helpers import is_postgres
from flick_admin.db.quoting import ident

revision = "0005_search_indexes"
down_revision = "0004_audit_chain"
branch_labels = None
depends_on = None

PLAIN = (
    ("ix_admin_logs_entity_type_time", "logs", "entity_type, occured_at, id"),
    # Staff are a few rows among every student's auth row: the staff picker and list.
    ("ix_admin_auth_role", "auth", "role"),
)
# Prefix search ("starts with") for usernames and emails (PostgreSQL; SQLite's LIKE is
# already case-insensitive and its tables are small).
PREFIX = (
    ("ix_admin_platform_user_username_prefix", "platform_user", "username text_pattern_ops"),
    ("ix_admin_auth_email_prefix", "auth", "lower(email) text_pattern_ops"),
)
TRIGRAM = (
    ("ix_admin_posts_title_trgm", "posts", "title"),
    ("ix_admin_posts_content_trgm", "posts", "content"),
    ("ix_admin_comments_content_trgm", "comments", "content"),
    ("ix_admin_platform_user_username_trgm", "platform_user", "username"),
    ("ix_admin_auth_email_trgm", "auth", "email"),
    ("ix_admin_logs_reason_trgm", "logs", "reason"),
)

TRY_EXTENSION = """
DO $$
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
EXCEPTION WHEN insufficient_privilege OR feature_not_supported OR undefined_file THEN
  RAISE NOTICE 'pg_trgm is not available to this role: Flick Admin searches without trigram indexes';
END $$
"""


def upgrade() -> None:
    if not is_postgres():
        for name, table, keys in PLAIN:
            op.execute(f"CREATE INDEX IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys})")
        return
    op.execute(TRY_EXTENSION)
    bind = op.get_bind()
    with op.get_context().autocommit_block():
        for name, table, keys in PLAIN + PREFIX:
            op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys})")
        has_trgm = bind.exec_driver_sql(
            "SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").scalar() is not None
        if has_trgm:
            for name, table, column in TRIGRAM:
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} "
                           f"USING gin ({ident(column)} gin_trgm_ops)")


def downgrade() -> None:
    for name, _table, _keys in PLAIN + PREFIX + TRIGRAM:
        op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
