"""Add the enum values Flick Admin records: staff roles and the entities it manages.

``log_role`` gains ``moderator`` and ``auditor`` (actor types of staff);
``log_entity_type`` gains ``branch``, ``banned-word``, ``college-request``, ``session`` and
``audit-log``. Values are only appended, so Flick's server keeps working unchanged.
SQLite stores these enums as plain text and needs nothing.

Revision ID: 0002_admin_enum_values
Revises: 0001_flick_baseline
"""

from alembic import op

from flick_admin.db.migration_helpers import is_postgres
from flick_admin.db.quoting import ident, literal

revision = "0002_admin_enum_values"
down_revision = "0001_flick_baseline"
branch_labels = None
depends_on = None

ADDED = {
    "log_role": ("moderator", "auditor"),
    "log_entity_type": ("branch", "banned-word", "college-request", "session", "audit-log"),
}


def upgrade() -> None:
    if not is_postgres():
        return
    for type_name, labels in ADDED.items():
        for label in labels:
            op.execute(f"ALTER TYPE {ident(type_name)} ADD VALUE IF NOT EXISTS {literal(label)}")


def downgrade() -> None:
    # PostgreSQL cannot drop an enum value; rows may already use them. Nothing to undo.
    pass
