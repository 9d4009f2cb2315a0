"""The catalogue of removal reasons (``admin_removal_reasons``), and the audit entity type
its changes are recorded under.

Revision ID: 0017
Revises: 0016_college_delete_function
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID
from flick_admin.db.migration_helpers import JSONB, is_postgres

revision = "0017"
down_revision = "0016_college_delete_function"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if is_postgres():
        op.execute("ALTER TYPE \"log_entity_type\" ADD VALUE IF NOT EXISTS 'removal-reason'")
    op.create_table(
        "admin_removal_reasons",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("student_text", sa.Text(), nullable=False),
        sa.Column("fits", JSONB, nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("retired_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_admin_removal_reasons_active", "admin_removal_reasons", ["title"],
                    postgresql_where=sa.text("retired_at IS NULL"),
                    sqlite_where=sa.text("retired_at IS NULL"))


def downgrade() -> None:
    op.drop_table("admin_removal_reasons")
