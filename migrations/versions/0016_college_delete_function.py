"""admin_delete_college(uuid): the one way Flick Admin's application role deletes a college.

Flick's schema cascades a college's deletion through ``platform_user.college_id`` to every
student of it and everything they wrote, and a cascade runs as the table owner, not as the
role that issued the DELETE. So the application role gets no DELETE on ``colleges`` (see
``flick_admin/ops/roles.py``); it calls this function instead, which runs as its owner (the
migration role), locks the college and refuses while any student belongs to it. PostgreSQL
only: on SQLite there are no roles, and the dashboard's own check is the guard.

Revision ID: 0016_college_delete_function
Revises: 0012_content_colleges
"""

from alembic import op

from flick_admin.db.migration_helpers import is_postgres

revision = "0016_college_delete_function"
down_revision = "0015_session_state"
branch_labels = None
depends_on = None

# The row lock makes a student inserted concurrently wait (its foreign key check takes a
# KEY SHARE lock on the college) and then fail, instead of being swept away by the cascade.
FUNCTION = """
CREATE FUNCTION admin_delete_college(college uuid) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    PERFORM 1 FROM colleges WHERE id = college FOR UPDATE;
    IF NOT FOUND THEN
        RETURN false;
    END IF;
    IF EXISTS (SELECT 1 FROM platform_user WHERE college_id = college) THEN
        RAISE EXCEPTION 'college % has students; deleting it would delete them and everything they wrote', college
            USING ERRCODE = 'restrict_violation';
    END IF;
    DELETE FROM colleges WHERE id = college;
    RETURN true;
END
$$
"""


def upgrade() -> None:
    if not is_postgres():
        return
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION admin_delete_college(uuid) FROM PUBLIC")


def downgrade() -> None:
    if not is_postgres():
        return
    op.execute("DROP FUNCTION admin_delete_college(uuid)")
