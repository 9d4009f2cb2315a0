"""The report queue's priority key per pending item (issue 26): a time-invariant number
kept like the other tallies (``flick_admin.priority_keys``), walked through an index so
the priority queue's first page does not rank every pending item.

With two optional PostgreSQL indexes for the page (``QUEUE_INDEXES``): the authors'
past sanctions, and the reports about nothing. It has its own watermark ('priority', NULL until the first ``tallies catch-up`` fills
the table from a full count; until then every item is scored live, as before).

Revision ID: 0022
Revises: 0021
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID
from flick_admin.db.migration_helpers import QUEUE_INDEXES, is_postgres
from flick_admin.db.quoting import ident

revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_item_priority",
        sa.Column("target_id", UUID, primary_key=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("author_id", UUID, nullable=True),
        sa.Column("college_id", UUID, nullable=True),
    )
    op.create_index("ix_admin_item_priority_key", "admin_item_priority", ["key", "target_id"])
    op.create_index("ix_admin_item_priority_college", "admin_item_priority", ["college_id", "key", "target_id"])
    op.create_index("ix_admin_item_priority_author", "admin_item_priority", ["author_id"])
    op.execute("INSERT INTO admin_tally_watermarks (name, through, updated_at) VALUES "
               "('priority', NULL, CURRENT_TIMESTAMP)")
    # Optional, PostgreSQL only, built without locking Flick's tables (as 0021's).
    if is_postgres():
        with op.get_context().autocommit_block():
            for name, table, keys, where in QUEUE_INDEXES:
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys}) "
                           f"WHERE {where}")


def downgrade() -> None:
    if is_postgres():
        for name, *_rest in QUEUE_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
    op.execute("DELETE FROM admin_tally_watermarks WHERE name = 'priority'")
    op.drop_table("admin_item_priority")
