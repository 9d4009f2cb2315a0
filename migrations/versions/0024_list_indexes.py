"""Indexes for the posts and users lists' filters (issue 25).

- ``ix_admin_auth_banned_created`` (Flick's ``auth``, PostgreSQL only, optional like
  0021's and built ``CONCURRENTLY``): the banned accounts in time order with when their
  ban ends, so the users list's "suspended", "banned" and "expired" walk only them.
- ``ix_admin_reports_pending_carried`` (Flick's ``content_reports``, likewise): the posts
  named by pending reports about one of their comments, one of the three sources of a
  college-scoped "most reported" (with the priority keys' college index).
- ``ix_admin_posts_banned_created``, ``ix_admin_comments_banned_created`` (likewise): the
  banned posts and comments in time order, for their lists' "banned" filter.

Revision ID: 0024
Revises: 0023
"""

from alembic import op

from flick_admin.db.migration_helpers import LIST_INDEXES, is_postgres
from flick_admin.db.quoting import ident

revision = "0024"
down_revision = "0023"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if is_postgres():
        with op.get_context().autocommit_block():
            for name, table, keys, include, where in LIST_INDEXES:
                extra = f" INCLUDE ({include})" if include else ""
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys})"
                           f"{extra} WHERE {where}")


def downgrade() -> None:
    if is_postgres():
        for name, *_rest in LIST_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
