"""Pending reports per comment: a running tally kept like the per-post one (with the
reports' watermark), walked in time order through ``ix_admin_comment_pending_created`` by
the comments list's "with pending reports" (issue 25), instead of every comment walked in
time order for the 0.5 % that have some.

Revision ID: 0025
Revises: 0024
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID

revision = "0025"
down_revision = "0024"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_comment_pending",
        sa.Column("comment_id", UUID, primary_key=True),
        sa.Column("comment_created_at", sa.DateTime(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
    )
    # The reports up to the watermark are already tallied for posts: count them now for
    # comments too (decisions and catch-up keep them after this), so an upgrade needs no
    # repair. Nothing while there is no watermark (every report is counted live).
    op.execute(
        "INSERT INTO admin_comment_pending (comment_id, comment_created_at, pending) "
        'SELECT r.comment_id, c."createdAt", COUNT(*) '
        "FROM content_reports r JOIN comments c ON c.id = r.comment_id, admin_tally_watermarks w "
        "WHERE w.name = 'reports' AND w.through IS NOT NULL AND r.created_at <= w.through "
        "AND r.status = 'pending' AND r.comment_id IS NOT NULL "
        'GROUP BY r.comment_id, c."createdAt"')
    op.create_index("ix_admin_comment_pending_created", "admin_comment_pending",
                    ["comment_created_at", "comment_id"],
                    postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0"))


def downgrade() -> None:
    op.drop_index("ix_admin_comment_pending_created", table_name="admin_comment_pending")
    op.drop_table("admin_comment_pending")
