"""The college of each post's and comment's author (Flick Admin's own tables), so that a
college-scoped moderator's lists walk their colleges' content in time order instead of
every college's; tallied up to the "content" watermark like the other running tallies.

Revision ID: 0012_content_colleges
Revises: 0011_team
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID

revision = "0012_content_colleges"
down_revision = "0011_team"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table, key in (("admin_post_colleges", "post_id"), ("admin_comment_colleges", "comment_id")):
        op.create_table(
            table,
            sa.Column(key, UUID, primary_key=True),
            sa.Column("college_id", UUID, nullable=False),
            sa.Column("created_at", sa.DateTime(), nullable=False),
        )
        op.create_index(f"ix_{table}_walk", table, ["college_id", "created_at", key])
    op.execute("INSERT INTO admin_tally_watermarks (name, through, updated_at) VALUES "
               "('content', NULL, CURRENT_TIMESTAMP)")


def downgrade() -> None:
    op.execute("DELETE FROM admin_tally_watermarks WHERE name = 'content'")
    for table in ("admin_comment_colleges", "admin_post_colleges"):
        op.drop_table(table)
