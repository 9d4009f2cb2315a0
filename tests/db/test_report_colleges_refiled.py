"""Migration 0026 re-files reports that name a comment and its post under the comment's
college: the rows the report-college tally wrote before the catch-up learnt that such a
report is about the comment (a college-scoped moderator was shown another college's
comment through them)."""

from __future__ import annotations

import importlib.util
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa
from alembic.operations import Operations
from alembic.runtime.migration import MigrationContext

from flick_admin.db.base import utcnow
from flick_admin.db.tallies import ReportCollege, TallyWatermark
from tests import factories

MIGRATION = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0026_report_colleges_fix.py"


def _run_upgrade(connection) -> None:
    spec = importlib.util.spec_from_file_location("migration_0026", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with Operations.context(MigrationContext.configure(connection)):
        module.upgrade()


def test_a_report_tallied_under_the_posts_college_is_refiled_under_the_comments(dbs):
    inside, outside = factories.CollegeFactory(), factories.CollegeFactory()
    a = factories.StudentFactory(college=inside)
    b = factories.StudentFactory(college=outside)
    post = factories.PostFactory(author=a)
    theirs = factories.CommentFactory(author=b, post=post)
    both = factories.ReportFactory(type="Comment", post=post, comment=theirs, reporter=a)
    own = factories.ReportFactory(type="Post", post=post, reporter=b)
    dbs.flush()
    # As the tally filed them before: both under the post's (inside) college.
    dbs.merge(TallyWatermark(name="reports", through=utcnow() + timedelta(minutes=1)))
    dbs.add_all([ReportCollege(report_id=both.id, college_id=inside.id),
                 ReportCollege(report_id=own.id, college_id=inside.id)])
    dbs.flush()

    _run_upgrade(dbs.connection())

    filed = dict(dbs.execute(sa.select(ReportCollege.report_id, ReportCollege.college_id)
                             .where(ReportCollege.report_id.in_([both.id, own.id]))).all())
    assert filed == {both.id: outside.id, own.id: inside.id}
