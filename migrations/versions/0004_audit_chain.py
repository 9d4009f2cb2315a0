"""The audit trail Flick Admin can prove: a hash chain over the rows it writes, indexes
for the log browser, and (PostgreSQL) append-only ``logs``.

* ``admin_audit_chain``: one row per ``logs`` row Flick Admin writes — a gap-free sequence
  number, the previous row's hash and this row's hash over a canonical serialisation of the
  log row. Written in the same transaction as the log row, under a lock, so the order is
  strict.
* ``admin_audit_checkpoints``: where a retention purge cut the chain, so that the rest
  still verifies.
* Indexes for the log list's keyset order and its main filters.
* On PostgreSQL a trigger refuses UPDATE and DELETE on ``logs`` and on the chain, unless a
  purge has set ``flick_admin.audit_purge`` for its own transaction (``flask audit purge``).

Revision ID: 0004_audit_chain
Revises: 0003_moderation_indexes
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.migration_helpers import is_postgres, now_default
from flick_admin.db.quoting import ident

revision = "0004_audit_chain"
down_revision = "0003_moderation_indexes"
branch_labels = None
depends_on = None

LOG_INDEXES = (
    ("ix_admin_logs_time", "occured_at, id"),
    ("ix_admin_logs_action_time", "action, occured_at, id"),
    ("ix_admin_logs_actor_time", "actor_id, occured_at, id"),
    ("ix_admin_logs_actor_type_time", "actor_type, occured_at, id"),
    ("ix_admin_logs_entity_time", "entity_type, entity_id, occured_at, id"),
    ("ix_admin_logs_request", "request_id"),
)

GUARD = """
CREATE OR REPLACE FUNCTION admin_audit_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND current_setting('flick_admin.audit_purge', true) = 'on' THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'the audit trail is append-only: % on % is refused', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$
"""


def upgrade() -> None:
    op.create_table(
        "admin_audit_chain",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("log_id", sa.Uuid(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("row_hash", sa.String(64), nullable=False),
        sa.Column("chained_at", sa.DateTime(timezone=True), nullable=False, server_default=now_default()),
        sa.UniqueConstraint("log_id", name="admin_audit_chain_log_id_unique"),
    )
    op.create_table(
        "admin_audit_checkpoints",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False, server_default=now_default()),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.String(64), nullable=False),
        sa.Column("purged_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("purged_rows", sa.BigInteger(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
    )
    if is_postgres():
        with op.get_context().autocommit_block():
            for name, keys in LOG_INDEXES:
                op.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {ident(name)} ON logs ({keys})")
            # Rows of one batch, found from an entry page.
            op.execute("CREATE INDEX CONCURRENTLY IF NOT EXISTS ix_admin_logs_batch "
                       "ON logs ((metadata ->> 'batch_id'))")
        op.execute(GUARD)
        for table in ("logs", "admin_audit_chain", "admin_audit_checkpoints"):
            op.execute(
                f"CREATE TRIGGER admin_audit_append_only BEFORE UPDATE OR DELETE ON {ident(table)} "
                "FOR EACH ROW EXECUTE FUNCTION admin_audit_append_only()")
    else:
        for name, keys in LOG_INDEXES:
            op.execute(f"CREATE INDEX IF NOT EXISTS {ident(name)} ON logs ({keys})")


def downgrade() -> None:
    if is_postgres():
        for table in ("logs", "admin_audit_chain", "admin_audit_checkpoints"):
            op.execute(f"DROP TRIGGER IF EXISTS admin_audit_append_only ON {ident(table)}")
        op.execute("DROP FUNCTION IF EXISTS admin_audit_append_only()")
    for name, _keys in LOG_INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {ident(name)}")
    op.execute("DROP INDEX IF EXISTS ix_admin_logs_batch")
    op.drop_table("admin_audit_checkpoints")
    op.drop_table("admin_audit_chain")
