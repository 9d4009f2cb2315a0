"""Column types and defaults shared by the migrations, for PostgreSQL and SQLite alike.

Frozen helpers: a migration's meaning must not change when the models change, so
migrations import from here (and Flick's fixed enum lists), never from the models.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSONB = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
INET = sa.String(64).with_variant(postgresql.INET(), "postgresql")


def is_postgres() -> bool:
    return op.get_context().dialect.name == "postgresql"


def enum_type(name: str, values: tuple[str, ...]) -> sa.types.TypeEngine:
    """A column type for an enum whose PostgreSQL type the migration created itself."""
    return sa.Enum(*values, name=name, create_constraint=False).with_variant(
        postgresql.ENUM(*values, name=name, create_type=False), "postgresql"
    )


def now_default() -> sa.TextClause:
    return sa.text("now()") if is_postgres() else sa.text("CURRENT_TIMESTAMP")


def uuid_default() -> sa.TextClause | None:
    """``gen_random_uuid()`` on PostgreSQL; SQLite gets its ids from the application."""
    return sa.text("gen_random_uuid()") if is_postgres() else None


def desc_nulls_last(quoted_column: str) -> sa.TextClause:
    """An index key ``col DESC NULLS LAST`` (SQLite's index syntax has no NULLS clause)."""
    if is_postgres():
        return sa.text(f"{quoted_column} DESC NULLS LAST")
    return sa.text(f"{quoted_column} DESC")


def compare_type(context, inspected_column, metadata_column, inspected_type, metadata_type):
    """Alembic type comparison. On SQLite an enum is a VARCHAR whose length is only the
    longest label at creation time (SQLite ignores it), so appended labels are no drift."""
    if context.dialect.name == "sqlite" and isinstance(metadata_type, sa.Enum):
        return not isinstance(inspected_type, sa.String)
    return None  # Alembic's default comparison




# Indexes with expression keys such as ``"createdAt" DESC NULLS LAST``.
EXPRESSION_INDEXES = frozenset(
    {"posts_visibility_idx", "idx_audit_logs_occurred_at", "ix_admin_logs_batch"})


# Indexes that keep searches and filters bounded whatever is typed (migration 0021; issue 25).
QUERY_INDEXES = (
    ("ix_admin_auth_email_lower", "auth", "lower(email)"),
)
# The report queue's page (0022): each author's past bans and suspensions counted from a
# small partial index (index-only), and the reports about nothing found without walking
# every report of their status.
QUEUE_INDEXES = (
    ("ix_admin_logs_user_sanctions", "logs", "entity_id",
     "entity_type = 'user' AND action IN ('admin:banned:user', 'admin:suspended:user')"),
    ("ix_admin_reports_unlinked", "content_reports", "status, created_at, id",
     "post_id IS NULL AND comment_id IS NULL"),
)
# 0023: a post's own reports (not its comments'), so the queue's "still pending" probe of a
# kept post and the page's reports of its posts read the index alone.
QUEUE_INDEXES_0023 = (
    ("ix_admin_reports_post_own", "content_reports", "post_id, status, created_at", "comment_id IS NULL"),
)

# The lists' filters (0024; issue 25): (name, table, keys, included columns, predicate).
# Partial: each holds only the few rows its filter wants. The banned accounts in time order, with when their ban ends, so "suspended" (and
# "banned", "expired") walks only banned accounts; and the posts named by pending reports
# about one of their comments (usually none), for a scoped "most reported".
LIST_INDEXES = (
    ("ix_admin_auth_banned_created", "auth", "created_at, id", "ban_expires", "banned IS TRUE"),
    ("ix_admin_reports_pending_carried", "content_reports", "post_id", None,
     "status = 'pending' AND post_id IS NOT NULL AND comment_id IS NOT NULL"),
    # The banned posts and comments in time order (their lists' "banned" filter walked
    # every post or comment for the 2 % banned).
    ("ix_admin_posts_banned_created", "posts", '"createdAt", id', None, '"isBanned" IS TRUE'),
    ("ix_admin_comments_banned_created", "comments", '"createdAt", id', None, '"isBanned" IS TRUE'),
)

# Trigram search indexes exist only where pg_trgm could be created (0005); not in the models.
OPTIONAL_INDEXES = frozenset({
    "ix_admin_posts_title_trgm", "ix_admin_posts_content_trgm", "ix_admin_comments_content_trgm",
    "ix_admin_platform_user_username_trgm", "ix_admin_auth_email_trgm", "ix_admin_logs_reason_trgm",
    # Operator-class indexes for prefix search, PostgreSQL only.
    "ix_admin_platform_user_username_prefix", "ix_admin_auth_email_prefix",
    # Bounded plans for searches and filters (0021), PostgreSQL only.
    *(name for name, _table, _keys in QUERY_INDEXES),
    *(name for name, *_rest in QUEUE_INDEXES),
    *(name for name, *_rest in QUEUE_INDEXES_0023),
    *(name for name, *_rest in LIST_INDEXES),
})


def include_object_for(dialect_name: str):
    """Alembic autogenerate filter: SQLite cannot reflect expression index keys, so
    those indexes are compared on PostgreSQL only; optional search indexes never are."""

    def include_object(obj, name, type_, reflected, compare_to) -> bool:
        if type_ == "index" and name in OPTIONAL_INDEXES:
            return False
        return not (dialect_name == "sqlite" and type_ == "index" and name in EXPRESSION_INDEXES)

    return include_object


def create_indexes_on_flick_tables(indexes: tuple[tuple[str, str, str], ...]) -> None:
    """Indexes (name, table, key columns already quoted where Flick's names need it) on
    Flick's tables: on PostgreSQL built CONCURRENTLY, outside a transaction, so adopting a
    live Flick database does not block its writes while they build."""
    from flick_admin.db.quoting import ident

    statements = [f"CREATE INDEX {{}}IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys})"
                  for name, table, keys in indexes]
    if is_postgres():
        with op.get_context().autocommit_block():
            for statement in statements:
                op.execute(statement.format("CONCURRENTLY "))
    else:
        for statement in statements:
            op.execute(statement.format(""))


def drop_indexes(indexes: tuple[tuple[str, str, str], ...]) -> None:
    from flick_admin.db.quoting import ident

    for name, _table, _keys in indexes:
        op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
