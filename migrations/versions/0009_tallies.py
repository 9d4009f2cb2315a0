"""Running tallies behind the pages that would otherwise count at every request: pending
reports per post, each report's college, students per college (Flick Admin's own tables),
and two indexes on ``platform_user`` for counting new students by creation time.

The tallies start empty with no watermark, so every row is counted live until the first
``flask tallies catch-up`` (run it from cron every minute).

Revision ID: 0009_tallies
Revises: 0008_staff_preferences
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID
from flick_admin.db.migration_helpers import create_indexes_on_flick_tables, drop_indexes, is_postgres

revision = "0009_tallies"
down_revision = "0008_staff_preferences"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_admin_platform_user_college_created", "platform_user", "college_id, created_at"),
    ("ix_admin_platform_user_created", "platform_user", "created_at"),
)


def upgrade() -> None:
    if is_postgres():
        op.execute("ALTER TYPE \"log_entity_type\" ADD VALUE IF NOT EXISTS 'tally'")
    op.create_table(
        "admin_tally_watermarks",
        sa.Column("name", sa.Text(), primary_key=True),
        sa.Column("through", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )
    op.create_table(
        "admin_post_pending",
        sa.Column("post_id", UUID, primary_key=True),
        sa.Column("post_created_at", sa.DateTime(), nullable=False),
        sa.Column("pending", sa.Integer(), nullable=False),
    )
    op.create_index("ix_admin_post_pending_rank", "admin_post_pending",
                    ["pending", "post_created_at", "post_id"],
                    postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0"))
    op.create_table(
        "admin_report_colleges",
        sa.Column("report_id", UUID, primary_key=True),
        sa.Column("college_id", UUID, nullable=False),
    )
    op.create_index("ix_admin_report_colleges_college", "admin_report_colleges",
                    ["college_id", "report_id"])
    op.create_table(
        "admin_college_students",
        sa.Column("college_id", UUID, primary_key=True),
        sa.Column("students", sa.Integer(), nullable=False),
    )
    op.execute("INSERT INTO admin_tally_watermarks (name, through, updated_at) VALUES "
               "('reports', NULL, CURRENT_TIMESTAMP), ('students', NULL, CURRENT_TIMESTAMP)")
    create_indexes_on_flick_tables(INDEXES)


def downgrade() -> None:
    drop_indexes(INDEXES)
    op.drop_table("admin_college_students")
    op.drop_table("admin_report_colleges")
    op.drop_table("admin_post_pending")
    op.drop_table("admin_tally_watermarks")
