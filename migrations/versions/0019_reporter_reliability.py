"""Reporters' reliability: per reporter, how many of their reports were decided and how
many of those were acted on — a running tally (kept with the reports' watermark), read by
the report queue's priority order and the user page.

Revision ID: 0019
Revises: 0016_college_delete_function
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_reporter_reliability",
        sa.Column("reporter_id", UUID, primary_key=True),
        sa.Column("decided", sa.Integer(), nullable=False),
        sa.Column("acted", sa.Integer(), nullable=False),
    )
    # The rows before the reports' watermark are not tallied yet: start them from a full
    # count now (the decisions after this keep them), so an upgrade needs no repair.
    op.execute(
        "INSERT INTO admin_reporter_reliability (reporter_id, decided, acted) "
        "SELECT r.reported_by, COUNT(*), SUM(CASE WHEN r.status = 'resolved' THEN 1 ELSE 0 END) "
        "FROM content_reports r, admin_tally_watermarks w "
        "WHERE w.name = 'reports' AND w.through IS NOT NULL AND r.created_at <= w.through "
        "AND r.status IN ('resolved', 'ignored') "
        "AND (r.post_id IS NOT NULL OR r.comment_id IS NOT NULL) GROUP BY r.reported_by")


def downgrade() -> None:
    op.drop_table("admin_reporter_reliability")
