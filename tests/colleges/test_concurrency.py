"""Two admins save the same email domain at the same moment: exactly one college is made.
Real commits on PostgreSQL; the test cleans up after itself."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flick_admin.colleges import services
from flick_admin.db import College
from flick_admin.extensions import db
from flick_admin.refusals import Conflict
from tests.conftest import purge_committed_audit
from tests.moderation.test_concurrency import _race

pytestmark = pytest.mark.postgres_only


def test_concurrent_creates_of_one_domain_make_one_college(app):
    domain = f"race-{uuid.uuid4().hex[:8]}.edu"

    def create(name):
        return lambda: services.create_college(services.CollegeInput.clean(
            name=name, email_domain=domain, city="Pune", state="MH", profile="", branch_ids=[]))

    try:
        results = _race(app, [create("First Racer"), create("Second Racer")])
        assert sum(isinstance(r, College) for r in results) == 1, results
        assert sum(isinstance(r, Conflict) for r in results) == 1, results
        with app.app_context(), db.engine.connect() as conn:
            assert conn.scalar(sa.select(sa.func.count()).select_from(College)
                               .where(College.email_domain == domain)) == 1
    finally:
        with app.app_context(), orm.Session(db.engine) as s:
            ids = [str(i) for i in s.scalars(sa.select(College.id).where(College.email_domain == domain))]
            purge_committed_audit(s, ids)
            s.execute(sa.delete(College).where(College.email_domain == domain))
            s.commit()
