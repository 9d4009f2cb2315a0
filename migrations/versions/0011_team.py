"""Moderating as a team: claims and assignments, proposals waiting for a second pair of
eyes, saved views, college-scoped moderators (Flick Admin's own tables), and the audit
entity types they are recorded under.

Revision ID: 0011_team
Revises: 0010_chain_format
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import JSONB, UUID
from flick_admin.db.migration_helpers import is_postgres

revision = "0011_team"
down_revision = "0010_chain_format"
branch_labels = None
depends_on = None

AUTH_FK = "auth.id"


def upgrade() -> None:
    if is_postgres():
        for value in ("proposal", "saved-view"):
            op.execute(f"ALTER TYPE \"log_entity_type\" ADD VALUE IF NOT EXISTS '{value}'")
        # Finding whether an audit row was reverted (its revert names it in metadata).
        with op.get_context().autocommit_block():
            op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_admin_logs_reverts "
                       "ON logs ((metadata ->> 'reverts'))")
    op.create_table(
        "admin_claims",
        sa.Column("target_type", sa.Text(), primary_key=True),
        sa.Column("target_id", UUID, primary_key=True),
        sa.Column("holder_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="CASCADE",
                  name="admin_claims_holder_id_auth_id_fk"), nullable=False),
        sa.Column("claimed_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=True),
        sa.Column("assigned_by_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="SET NULL",
                  name="admin_claims_assigned_by_id_auth_id_fk"), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_admin_claims_holder", "admin_claims", ["holder_id"])
    op.create_table(
        "admin_proposals",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("kind", sa.Text(), nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("permission", sa.Text(), nullable=False),
        sa.Column("proposer_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="SET NULL",
                  name="admin_proposals_proposer_id_auth_id_fk"), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("decided_by_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="SET NULL",
                  name="admin_proposals_decided_by_id_auth_id_fk"), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
    )
    op.create_index("ix_admin_proposals_waiting", "admin_proposals", ["created_at"],
                    postgresql_where=sa.text("status = 'waiting'"),
                    sqlite_where=sa.text("status = 'waiting'"))
    op.create_table(
        "admin_saved_views",
        sa.Column("id", UUID, primary_key=True),
        sa.Column("owner_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="CASCADE",
                  name="admin_saved_views_owner_id_auth_id_fk"), nullable=False),
        sa.Column("page", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.UniqueConstraint("owner_id", "page", "name", name="admin_saved_views_owner_page_name_unique"),
    )
    op.create_table(
        "admin_staff_scopes",
        sa.Column("user_id", sa.Text(), sa.ForeignKey(AUTH_FK, ondelete="CASCADE",
                  name="admin_staff_scopes_user_id_auth_id_fk"), primary_key=True),
        sa.Column("college_id", UUID, primary_key=True),
    )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_admin_logs_reverts")
    for table in ("admin_staff_scopes", "admin_saved_views", "admin_proposals", "admin_claims"):
        op.drop_table(table)
