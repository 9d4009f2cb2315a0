"""The application role can run every flow of the dashboard and cannot rewrite the audit log.

Roles are created inside the test's transaction (CREATE ROLE and GRANT are transactional in
PostgreSQL) and the test's connection switches to the application role with SET LOCAL
ROLE, so every request below runs with exactly the application role's privileges."""

from __future__ import annotations

import re
import uuid

import pyotp

import pytest
import sqlalchemy as sa

from flick_admin.db import College, Log, PlatformUser, Post
from flick_admin.db.team import Note
from flick_admin.db.quoting import ident
from flick_admin.ops import roles
from tests import factories
from tests.conftest import audit_rows

pytestmark = pytest.mark.postgres_only
REASON = {"reason_choice": "Spam or scam"}


@pytest.fixture
def as_app_role(connection):
    suffix = uuid.uuid4().hex[:8]
    app_role, migrator = f"fa_app_{suffix}", f"fa_mig_{suffix}"
    database = connection.execute(sa.text("SELECT current_database()")).scalar()
    owner = connection.execute(sa.text(
        "SELECT tableowner FROM pg_tables WHERE tablename = 'posts'")).scalar()
    for statement in roles.statements(database, app_role, migrator, owner):
        if not statement.startswith("--"):
            connection.exec_driver_sql(statement)
    return app_role


def test_cli_prints_the_script(app):
    result = app.test_cli_runner().invoke(args=["db-roles", "--app-role", "x_app", "--migrator-role", "x_mig"])
    assert result.exit_code == 0
    assert 'GRANT UPDATE ("isBanned", "isShadowBanned", "updatedAt") ON "posts" TO "x_app";' in result.output
    assert 'REVOKE UPDATE, DELETE, TRUNCATE ON "logs"' in result.output
    bad = app.test_cli_runner().invoke(args=["db-roles", "--app-role", 'x"; DROP TABLE logs; --'])
    assert bad.exit_code != 0


def test_main_flows_run_under_the_application_role(app, client, dbs, connection, as_app_role):
    # Data is made as the owner; then everything the dashboard does runs as the app role.
    moderator = factories.StaffFactory(role="superadmin")
    post = factories.PostFactory()
    factories.ReportFactory(post=post)
    student = factories.StudentFactory()
    factories.SessionFactory(user=student.auth)
    request_row = factories.CollegeRequestFactory(email_domain="newly.edu")
    feedback = factories.FeedbackFactory()
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")

    signed = client.post("/login", data={"email": moderator.email, "password": factories.STAFF_PASSWORD})
    assert signed.status_code == 303
    steps = [
        # Notes and escalation (the ban below ends the escalation: a DELETE).
        client.post(f"/team/notes/post/{post.id}/add", data={"body": "role note"}),
        client.post(f"/team/escalations/post/{post.id}/escalate", data={"comment": "role escalation"}),
        client.post("/account/preferences", data={"time_zone": "UTC", "theme": "dark", "escalations": "y"}),
        client.post(f"/posts/{post.id}/act", data={"action": "ban", "state": "b0s0", **REASON}),
        client.post(f"/users/{student.auth_id}/sanction", data={"kind": "suspend", "days": "2", **REASON}),
        client.post("/colleges/new", data={"name": "Role College", "email_domain": "role.edu",
                                           "city": "Pune", "state": "MH"}),
        client.post(f"/college-requests/{request_row.id}/approve",
                    data={"name": "Newly College", "email_domain": "newly.edu", "city": "Goa", "state": "Goa"}),
        client.post("/banned-words/new", data={"word": "rolecheck", "severity": "mild"}),
        client.post(f"/feedback/{feedback.id}/status", data={"status": "reviewed"}),
        client.post("/branches/new", data={"name": "Role Branch", "code": "RB"}),
    ]
    assert [r.status_code for r in steps] == [303] * len(steps)
    note_id = dbs.scalar(sa.select(Note.id))
    assert client.post(f"/team/notes/{note_id}/edit", data={"body": "role note, edited"}).status_code == 303
    assert client.post(f"/team/notes/{note_id}/delete").status_code == 303
    # Staff work and the second factor run under the role too.
    assert client.post("/staff/new", data={"email": "rolecheck@flick.test", "role": "auditor",
                                           "handover": "invite"}).status_code == 303
    page = client.get("/account/two-factor").get_data(as_text=True)
    secret = re.search(r'data-testid="secret">([A-Z2-7]+)<', page).group(1)
    enrolled = client.post("/account/two-factor", data={"action": "enable",
                                                        "code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 200 and "backup-codes" in enrolled.get_data(as_text=True)
    assert client.get("/audit/export.csv").status_code == 200
    assert client.get("/").status_code == 200
    assert client.post("/logout").status_code == 303
    dbs.expire_all()
    assert dbs.get(Post, post.id).is_banned is True
    assert len(audit_rows(dbs, action="admin:exported:audit-log")) == 1
    assert [len(audit_rows(dbs, action=a)) for a in ("admin:added:note", "admin:edited:note", "admin:deleted:note",
                                                      "admin:escalated:content", "admin:de-escalated:content")] == [1] * 5


@pytest.mark.parametrize("statement", [
    "UPDATE logs SET reason = 'rewritten'",
    "DELETE FROM logs",
    "TRUNCATE logs",
    "DELETE FROM admin_audit_chain",
    "UPDATE posts SET title = 'not a moderation column'",
])
def test_the_application_role_cannot_rewrite_the_trail(connection, dbs, as_app_role, statement):
    factories.LogFactory()
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    savepoint = connection.begin_nested()
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        connection.exec_driver_sql(statement)
    savepoint.rollback()
    assert connection.execute(sa.select(sa.func.count()).select_from(Log)).scalar() >= 1


def _count(connection, model, **where) -> int:
    stmt = sa.select(sa.func.count()).select_from(model)
    for key, value in where.items():
        stmt = stmt.where(getattr(model, key) == value)
    return connection.execute(stmt).scalar()


def test_the_application_role_cannot_cascade_a_college_delete_to_its_students(connection, dbs, as_app_role):
    """Flick's platform_user.college_id is ON DELETE CASCADE (run as the table owner): a DELETE
    on colleges would take every student of the college and all they wrote. The application
    role has no DELETE on colleges; it deletes through admin_delete_college(), which refuses
    while the college has students."""
    student = factories.StudentFactory()
    post = factories.PostFactory(author=student)
    dbs.flush()
    college_id = student.college_id
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    for statement, error in ((f"DELETE FROM colleges WHERE id = '{college_id}'", "permission denied"),
                             ("TRUNCATE colleges CASCADE", "permission denied"),
                             (f"SELECT admin_delete_college('{college_id}')", "has students")):
        savepoint = connection.begin_nested()
        with pytest.raises(sa.exc.DBAPIError, match=error):
            connection.exec_driver_sql(statement)
        savepoint.rollback()
    assert _count(connection, College, id=college_id) == 1
    assert _count(connection, PlatformUser, id=student.id) == 1
    assert _count(connection, Post, id=post.id) == 1


def test_the_dashboard_deletes_an_empty_college_as_the_application_role(
        client, dbs, connection, as_app_role):
    admin = factories.StaffFactory(role="superadmin")
    empty = factories.CollegeFactory(email_domain="empty-role.edu")
    dbs.flush()
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    assert client.post("/login", data={"email": admin.email,
                                       "password": factories.STAFF_PASSWORD}).status_code == 303
    deleted = client.post(f"/colleges/{empty.id}/delete", data={"confirmation": "empty-role.edu"})
    assert deleted.status_code == 303
    assert _count(connection, College, id=empty.id) == 0
    assert len(audit_rows(dbs, action="admin:deleted:college")) == 1


def test_the_catalogue_of_removal_reasons_and_author_notices_run_as_the_application_role(
        app, client, dbs, connection, as_app_role, monkeypatch):
    """The application role adds, edits and retires removal reasons, reads them with the
    session, and tells (and, on a revert, corrects) the author of a banned post; it may
    not delete a reason (they are retired, and past audit rows name them)."""
    monkeypatch.setitem(app.config, "NOTIFY_AUTHORS", True)
    admin = factories.StaffFactory(role="superadmin")
    post = factories.PostFactory()
    report = factories.ReportFactory(post=post)  # its reporter's unseen notice is withdrawn
    dbs.flush()
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    assert client.post("/login", data={"email": admin.email,
                                       "password": factories.STAFF_PASSWORD}).status_code == 303
    added = client.post("/removal-reasons/new", data={"title": "Role reason", "student_text": "Be kind.",
                                                       "fits": ["HARASSMENT"]})
    assert added.status_code == 303
    reason_id = connection.execute(sa.text("SELECT id FROM admin_removal_reasons")).scalar()
    assert client.post(f"/removal-reasons/{reason_id}/edit", data={
        "title": "Role reason", "student_text": "Be kinder.", "fits": ["HARASSMENT"]}).status_code == 303
    page = client.get(f"/posts/{post.id}").get_data(as_text=True)
    assert f"catalogue:{reason_id}" in page
    assert client.post(f"/posts/{post.id}/act", data={"action": "ban",
                                                      "reason_choice": f"catalogue:{reason_id}"}).status_code == 303
    (ban,) = audit_rows(dbs, action="admin:blocked:content")
    assert client.post(f"/revert/{ban.id}", data={"reason_text": "in error"}).status_code == 303
    assert client.post(f"/removal-reasons/{reason_id}/retire").status_code == 303
    said = connection.execute(sa.text('SELECT content FROM notifications WHERE "receiverId" = :r '
                                      'ORDER BY "createdAt", content'), {"r": str(post.author.id)}).scalars().all()
    assert said[0].endswith("Be kinder.") and said[1].startswith("An update on your post")
    assert connection.execute(sa.text('SELECT count(*) FROM notifications WHERE "receiverId" = :r'),
                              {"r": str(report.reporter.id)}).scalar() == 0
    savepoint = connection.begin_nested()
    with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
        connection.exec_driver_sql("DELETE FROM admin_removal_reasons")
    savepoint.rollback()
def test_the_application_role_keeps_the_reporters_reliability_tally(connection, dbs, as_app_role):
    """A decision moves a reporter's counts (INSERT … ON CONFLICT DO UPDATE), catch-up adds
    a window, repair rebuilds it (DELETE): all under the application role."""
    from datetime import timedelta

    from flick_admin import reliability
    from flick_admin.db.base import utcnow
    from flick_admin.db.tallies import ReporterReliability

    reporter = factories.StudentFactory()
    old = utcnow() - timedelta(days=1)
    factories.ReportFactory(reporter=reporter, status="resolved", created_at=old)
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    reliability.add_window(dbs, None, utcnow())
    reliability.moved(dbs, utcnow(), [(reporter.id, old, "pending", "ignored")])
    row = dbs.execute(sa.select(ReporterReliability.decided, ReporterReliability.acted)
                      .where(ReporterReliability.reporter_id == reporter.id)).one()
    assert tuple(row) == (2, 1)
    reliability.rebuild(dbs, utcnow())
    assert dbs.execute(sa.select(ReporterReliability.decided)
                       .where(ReporterReliability.reporter_id == reporter.id)).scalar() == 1


def test_the_application_role_keeps_the_priority_keys(connection, dbs, as_app_role):
    """A catch-up or repair rebuilds the kept keys (DELETE, INSERT … SELECT); a decision or
    a sanction rewrites the touched items' rows: all under the application role."""
    from datetime import timedelta

    from flick_admin import priority_keys
    from flick_admin.db.base import utcnow
    from flick_admin.db.tallies import ItemPriority

    post = factories.PostFactory()
    old = utcnow() - timedelta(days=1)
    factories.ReportFactory(post=post, created_at=old)
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    priority_keys.rebuild(dbs, None, utcnow())
    assert dbs.execute(sa.select(ItemPriority.type).where(ItemPriority.target_id == post.id)).scalar() == "Post"
    priority_keys.refresh(dbs, None, utcnow(), [post.id])
    priority_keys.reports_moved(dbs, None, utcnow(), [post.id], [])
    assert dbs.execute(sa.select(sa.func.count()).select_from(ItemPriority)
                       .where(ItemPriority.target_id == post.id)).scalar() == 1


def test_the_application_role_keeps_the_comment_pending_tally(connection, dbs, as_app_role):
    """Catch-up adds a window (INSERT … ON CONFLICT DO UPDATE), a decision and a reopen move
    a comment's count (UPDATE, INSERT … SELECT), repair empties it (DELETE): all under the
    application role."""
    from datetime import timedelta

    from flick_admin import tallies
    from flick_admin.db.base import utcnow
    from flick_admin.db.tallies import CommentPendingTally, TallyWatermark

    old = utcnow() - timedelta(days=1)
    report = factories.ReportFactory(on_comment=True, created_at=old)
    comment = report.comment
    connection.exec_driver_sql(f"SET LOCAL ROLE {ident(as_app_role)}")
    tallies._add_window(dbs, None, utcnow(), which=tallies.REPORTS)
    dbs.execute(sa.update(TallyWatermark).where(TallyWatermark.name == tallies.REPORTS).values(through=utcnow()))

    def pending():
        return dbs.execute(sa.select(CommentPendingTally.pending)
                           .where(CommentPendingTally.comment_id == comment.id)).scalar()

    assert pending() == 1
    moved = [tallies.MovedReport(None, old, report.reporter.id, "pending", "ignored", comment.id, comment.id)]
    tallies.reports_moved(dbs, moved, into_pending=False)
    assert pending() == 0
    back = [tallies.MovedReport(None, old, report.reporter.id, "ignored", "pending", comment.id, comment.id)]
    tallies.reports_moved(dbs, back, into_pending=True)
    assert pending() == 1
    dbs.execute(sa.delete(CommentPendingTally))
    assert pending() is None
