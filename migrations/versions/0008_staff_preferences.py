"""Each staff member's display preferences: time zone and light or dark theme.

Revision ID: 0008_staff_preferences
Revises: 0007_totp_steps
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_staff_preferences"
down_revision = "0007_totp_steps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_staff_preferences",
        sa.Column("user_id", sa.Text(), sa.ForeignKey("auth.id", ondelete="CASCADE",
                                                       name="admin_staff_preferences_user_id_auth_id_fk"),
                  primary_key=True),
        sa.Column("time_zone", sa.Text(), nullable=False, server_default="UTC"),
        sa.Column("theme", sa.Text(), nullable=False, server_default="system"),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_staff_preferences")
