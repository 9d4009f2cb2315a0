"""Audit rows carry the server's id of their unit of work (``metadata.unit_id``): an index
finds one decision's rows (revert, an entry's related rows) on PostgreSQL.

Revision ID: 0013_decision_units
Revises: 0012_content_colleges
"""

from alembic import op

from flick_admin.db.migration_helpers import is_postgres

revision = "0013_decision_units"
down_revision = "0012_content_colleges"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if is_postgres():
        with op.get_context().autocommit_block():
            op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_admin_logs_unit "
                       "ON logs ((metadata ->> 'unit_id'))")


def downgrade() -> None:
    if is_postgres():
        op.execute("DROP INDEX IF EXISTS ix_admin_logs_unit")
