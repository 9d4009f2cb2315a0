"""Each dashboard session's server-side state: its last confirmation, an enrolment secret,
a one-time handover.

Revision ID: 0015_session_state
Revises: 0012_content_colleges
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_session_state"
down_revision = "0013_decision_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_session_state",
        sa.Column("session_id", sa.Text(), sa.ForeignKey("session.id", ondelete="CASCADE",
                                                         name="admin_session_state_session_id_session_id_fk"),
                  primary_key=True),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("enrolment", sa.Text(), nullable=True),
        sa.Column("handover", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("admin_session_state")
