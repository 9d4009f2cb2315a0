"""A report that names a comment and its post is about the comment (issue 25 review).

Flick's server may write a report on a comment with the comment's post id too. The
report-college tally filed such reports under the post author's college as well as (or
instead of) the comment author's, so a college-scoped moderator could be shown another
college's comment through the queue. The catch-up now files them under the comment only;
this migration re-files the rows already tallied the same way: those rows are dropped and
written again from the comment's author, up to the reports' watermark (a comment whose
author is gone has no row, as catch-up leaves it).

Revision ID: 0026
Revises: 0025
"""

from alembic import op

revision = "0026"
down_revision = "0025"
branch_labels = None
depends_on = None

BOTH_IDS = "SELECT r.id FROM content_reports r WHERE r.comment_id IS NOT NULL AND r.post_id IS NOT NULL"


def upgrade() -> None:
    op.execute(f"DELETE FROM admin_report_colleges WHERE report_id IN ({BOTH_IDS})")
    op.execute(
        "INSERT INTO admin_report_colleges (report_id, college_id) "
        "SELECT r.id, u.college_id FROM content_reports r "
        "JOIN comments c ON c.id = r.comment_id "
        "JOIN platform_user u ON u.id = c.\"commentedBy\", admin_tally_watermarks w "
        "WHERE w.name = 'reports' AND w.through IS NOT NULL AND r.created_at <= w.through "
        "AND r.post_id IS NOT NULL AND u.college_id IS NOT NULL")


def downgrade() -> None:
    # The corrected rows are what catch-up writes from now on; nothing to undo.
    pass
