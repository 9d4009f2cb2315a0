"""Indexes behind the moderation queues (keyset order keys and foreign keys Flick left
unindexed: a post's comments, a user's posts, a target's reports).

On PostgreSQL they are built CONCURRENTLY, outside a transaction, so adopting a live
Flick database does not block its writes while they build.

Revision ID: 0003_moderation_indexes
Revises: 0002_admin_enum_values
"""

from flick_admin.db.migration_helpers import create_indexes_on_flick_tables, drop_indexes

revision = "0003_moderation_indexes"
down_revision = "0002_admin_enum_values"
branch_labels = None
depends_on = None

# name, table, key columns (already quoted where Flick's names need it)
INDEXES = (
    ("ix_admin_posts_created", "posts", '"createdAt", id'),
    ("ix_admin_posts_author", "posts", '"postedBy", "createdAt"'),
    ("ix_admin_comments_post", "comments", '"postId", "createdAt"'),
    ("ix_admin_comments_author", "comments", '"commentedBy", "createdAt"'),
    ("ix_admin_comments_created", "comments", '"createdAt", id'),
    ("ix_admin_reports_post", "content_reports", "post_id, status, created_at"),
    ("ix_admin_reports_comment", "content_reports", "comment_id, status, created_at"),
    ("ix_admin_reports_status_created", "content_reports", "status, created_at, id"),
    ("ix_admin_reports_reporter", "content_reports", "reported_by, created_at"),
    ("ix_admin_platform_user_college", "platform_user", "college_id"),
    ("ix_admin_auth_created", "auth", "created_at, id"),
)


def upgrade() -> None:
    create_indexes_on_flick_tables(INDEXES)


def downgrade() -> None:
    drop_indexes(INDEXES)
