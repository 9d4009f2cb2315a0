"""Audit entity type for backups (``flask --app wsgi backup create|verify`` record
themselves).

Revision ID: 0006_backup_entity
Revises: 0005_search_indexes
"""

from alembic import op

from flick_admin.db.migration_helpers import is_postgres

revision = "0006_backup_entity"
down_revision = "0005_search_indexes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if is_postgres():
        op.execute("ALTER TYPE \"log_entity_type\" ADD VALUE IF NOT EXISTS 'backup'")


def downgrade() -> None:
    pass  # an enum value cannot be dropped; rows may use it
