"""Transaction-scoped locks on a name, for rules the database does not enforce itself
(a college's email domain is unique only because Flick Admin checks it)."""

from __future__ import annotations

import sqlalchemy as sa

from flick_admin.db.transaction import require_unit


def lock_name(namespace: str, key: str) -> None:
    """Hold a lock on ``namespace:key`` until the current unit ends.

    PostgreSQL: an advisory transaction lock, so two admins saving the same domain at once
    are serialised and the second sees the first's row. SQLite serialises writers itself.
    """
    session = require_unit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            sa.text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))"),
            {"key": f"flick_admin:{namespace}:{key}"},
        )
