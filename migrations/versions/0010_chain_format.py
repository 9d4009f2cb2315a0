"""A format number per chain link: 1 for links hashed over Python's JSON text of the row,
2 for links hashed over the row's text as PostgreSQL prints it, which PostgreSQL can then
re-hash itself when verifying (set-based, at disk speed). Existing links stay format 1
and keep verifying as before.

Revision ID: 0010_chain_format
Revises: 0009_tallies
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_chain_format"
down_revision = "0009_tallies"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("admin_audit_chain") as batch:
        batch.add_column(sa.Column("format", sa.SmallInteger(), nullable=False, server_default="1"))
    # The links Python must re-hash, found without walking the others.
    op.create_index("ix_admin_audit_chain_json", "admin_audit_chain", ["seq"],
                    postgresql_where=sa.text("format = 1"), sqlite_where=sa.text("format = 1"))


def downgrade() -> None:
    op.drop_index("ix_admin_audit_chain_json", table_name="admin_audit_chain")
    with op.batch_alter_table("admin_audit_chain") as batch:
        batch.drop_column("format")
