"""The report queue's priority key per pending item and reason (``admin_item_reason_priority``):
the queue filtered by a reason walks an index of its own kept keys instead of scoring every
pending report of that reason (``flick_admin.priority_keys``).

An index of the pending-reports tally by the post's time, for the posts list's "with
pending reports" (newest or oldest first: the tally's posts along it, not every post).

With an optional PostgreSQL index (``QUEUE_INDEXES_0023``): a post's own reports, for the
queue's check that a kept post is still pending and the page's reports of its posts.

Kept with ``admin_item_priority`` by the same statements, under the same watermark
('priority'). That watermark is emptied here, so the next ``tallies catch-up`` rebuilds
both tables from a full count; until then every item is scored live, as before 0022.

Revision ID: 0023
Revises: 0022
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.base import UUID
from flick_admin.db.migration_helpers import QUEUE_INDEXES_0023, is_postgres
from flick_admin.db.quoting import ident

revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "admin_item_reason_priority",
        sa.Column("target_id", UUID, primary_key=True),
        sa.Column("reason", sa.Text(), primary_key=True),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("key", sa.BigInteger(), nullable=False),
        sa.Column("college_id", UUID, nullable=True),
        if_not_exists=True,
    )
    op.create_index("ix_admin_item_reason_priority_key", "admin_item_reason_priority",
                    ["reason", "key", "target_id"], if_not_exists=True)
    op.create_index("ix_admin_item_reason_priority_college", "admin_item_reason_priority",
                    ["reason", "college_id", "key", "target_id"], if_not_exists=True)
    op.create_index("ix_admin_post_pending_created", "admin_post_pending", ["post_created_at", "post_id"],
                    postgresql_where=sa.text("pending > 0"), sqlite_where=sa.text("pending > 0"),
                    if_not_exists=True)
    op.execute("UPDATE admin_tally_watermarks SET through = NULL, updated_at = CURRENT_TIMESTAMP "
               "WHERE name = 'priority'")
    # Optional, PostgreSQL only, built without locking Flick's tables (as 0022's).
    if is_postgres():
        with op.get_context().autocommit_block():
            for name, table, keys, where in QUEUE_INDEXES_0023:
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON {ident(table)} ({keys}) "
                           f"WHERE {where}")


def downgrade() -> None:
    if is_postgres():
        for name, *_rest in QUEUE_INDEXES_0023:
            op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
    op.drop_index("ix_admin_post_pending_created", table_name="admin_post_pending")
    op.drop_index("ix_admin_item_reason_priority_college", table_name="admin_item_reason_priority")
    op.drop_index("ix_admin_item_reason_priority_key", table_name="admin_item_reason_priority")
    op.drop_table("admin_item_reason_priority")
