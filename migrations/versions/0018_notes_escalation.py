"""Internal notes, escalations, the triage role, and the moderators' opt-in to escalations.

``admin_notes`` holds staff notes on posts, comments and students (Flick never reads
Flick Admin's tables, so no student sees them); ``admin_escalations`` the items handed to
senior staff; ``admin_staff_preferences.escalations`` whether a moderator works the
"Escalated" view. ``log_role`` gains ``triage`` (the actor type of the new staff role;
``auth.role`` is text and needs nothing). SQLite stores enums as text.

Revision ID: 0018
Revises: 0016_college_delete_function
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID
from flick_admin.db.migration_helpers import is_postgres

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

AUTH_FK = "auth.id"


def upgrade() -> None:
    if is_postgres():
        op.execute("ALTER TYPE \"log_role\" ADD VALUE IF NOT EXISTS 'triage'")
    op.create_table(
        "admin_notes",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("target_type", sa.Text(), nullable=False),
        sa.Column("target_id", UUID, nullable=False),
        sa.Column("author_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="SET NULL",
                  name="admin_notes_author_id_auth_id_fk"), nullable=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_at", sa.DateTime(), nullable=True),
        sa.Column("log_id", UUID, nullable=True),
    )
    op.create_index("ix_admin_notes_target", "admin_notes", ["target_type", "target_id", "created_at"])
    op.create_index("ix_admin_notes_log", "admin_notes", ["log_id"])
    op.create_table(
        "admin_escalations",
        sa.Column("target_type", sa.Text(), primary_key=True),
        sa.Column("target_id", UUID, primary_key=True),
        sa.Column("escalated_by_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="SET NULL",
                  name="admin_escalations_escalated_by_id_auth_id_fk"), nullable=True),
        sa.Column("escalated_at", sa.DateTime(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
    )
    with op.batch_alter_table("admin_staff_preferences") as batch:
        batch.add_column(sa.Column("escalations", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("admin_staff_preferences") as batch:
        batch.drop_column("escalations")
    op.drop_table("admin_escalations")
    op.drop_index("ix_admin_notes_log", "admin_notes")
    op.drop_index("ix_admin_notes_target", "admin_notes")
    op.drop_table("admin_notes")
