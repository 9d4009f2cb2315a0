"""Remember the last TOTP time step each staff member used, so a code cannot be replayed
within its 30-second window.

Revision ID: 0007_totp_steps
Revises: 0006_backup_entity
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_totp_steps"
down_revision = "0006_backup_entity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_totp_steps",
        sa.Column("user_id", sa.Text(), sa.ForeignKey("auth.id", ondelete="CASCADE",
                                                       name="admin_totp_steps_user_id_auth_id_fk"),
                  primary_key=True),
        sa.Column("last_step", sa.BigInteger(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_totp_steps")
