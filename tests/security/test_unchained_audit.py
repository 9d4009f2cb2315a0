"""No audit row without its chain link: Flick Admin's own code cannot write one past
``record()``, and ``audit verify`` names any row of Flick Admin's that carries no link."""

from __future__ import annotations

import subprocess
import sys
import uuid
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from flick_admin.audit import chain
from flick_admin.audit.actions import AuditAction
from flick_admin.audit.recorder import record
from flick_admin.db import Log
from flick_admin.db.enums import EntityType
from flick_admin.db.transaction import transaction
from flick_admin.extensions import db
from tests import factories
from tests.audit.test_chain import verdict, write_rows


def test_importing_the_recorder_registers_nothing_the_app_factory_does():
    script = (
        "import flick_admin.audit.recorder\n"
        "from flick_admin.audit import chain\n"
        "from flick_admin.db.transaction import before_commit_hooks, after_rollback_hooks\n"
        "assert chain.seal not in before_commit_hooks, 'registered on import'\n"
        "assert chain.forget not in after_rollback_hooks, 'registered on import'\n"
        "from flick_admin import create_app\n"
        "create_app({'FLICK_ADMIN_ENV': 'testing', 'SECRET_KEY': 'x', 'DATABASE_URL': 'sqlite://'})\n"
        "create_app({'FLICK_ADMIN_ENV': 'testing', 'SECRET_KEY': 'x', 'DATABASE_URL': 'sqlite://'})\n"
        "assert before_commit_hooks.count(chain.seal) == 1, before_commit_hooks\n"
        "assert after_rollback_hooks.count(chain.forget) == 1, after_rollback_hooks\n"
        "print('ok')\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def _stray_row(**fields) -> Log:
    values = dict(occured_at=datetime.now(UTC), actor_id="staff-x", actor_type="admin",
                  action=AuditAction.STAFF_CREATED.value, entity_type=EntityType.AUTH.value,
                  entity_id="someone")
    values.update(fields)
    return Log(**values)


def test_an_orm_row_added_past_record_is_refused_and_nothing_is_kept(app, dbs):
    college = factories.CollegeFactory()
    dbs.flush()
    with app.test_request_context("/"), pytest.raises(chain.UnchainedWrite), transaction() as session:
        session.execute(sa.update(type(college)).where(type(college).id == college.id).values(city="Changed"))
        session.add(_stray_row())
    dbs.expire_all()
    assert dbs.get(type(college), college.id).city != "Changed"
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Log)) == 0


def test_a_bulk_insert_past_record_is_refused(app, dbs):
    with app.test_request_context("/"), pytest.raises(chain.UnchainedWrite), transaction() as session:
        session.execute(sa.insert(Log), [dict(id=uuid.uuid4(), occured_at=datetime.now(UTC),
                                              actor_type="moderator", action="admin:blocked:content",
                                              entity_type="post", entity_id="p")])
    assert dbs.scalar(sa.select(sa.func.count()).select_from(Log)) == 0


def test_record_still_works_with_batched_flushes(app, dbs):
    with app.test_request_context("/"), transaction():
        for i in range(3):
            record(AuditAction.STAFF_LOGGED_OUT, entity_type=EntityType.SESSION, entity_id=f"s{i}",
                   flush=False)
    assert verdict(app).intact and verdict(app).checked == 3


@pytest.mark.parametrize("fields", [
    {"action": AuditAction.STAFF_CREATED.value, "actor_type": "superadmin"},  # only Flick Admin's action
    {"action": "admin:blocked:content", "actor_type": "moderator"},          # only Flick Admin's role
    {"action": "admin:verified:audit-log", "actor_type": "system", "actor_id": None},
])
def test_verify_names_flick_admin_rows_without_a_link(app, dbs, fields):
    write_rows(app, 2)
    stray = _stray_row(**fields)
    dbs.add(stray)  # written past Flick Admin's app, like a script or a database shell would
    dbs.flush()
    result = verdict(app)
    assert not result.intact
    assert result.unchained == (stray.id,) and result.unchained_total == 1
    assert str(stray.id) in result.summary and "no chain link" in result.summary
    assert result.checked == 2  # the chain itself is whole


def test_rows_flick_server_writes_are_not_flagged(app, dbs):
    write_rows(app, 1)
    factories.LogFactory()  # user:created:post by a student
    dbs.add(_stray_row(action="admin:banned:user", actor_type="admin"))  # Flick's own admin app
    dbs.flush()
    assert verdict(app).intact


def test_the_command_exits_1_and_prints_the_ids(app, dbs):
    write_rows(app, 1)
    stray = _stray_row(actor_type="auditor", action="admin:exported:audit-log")
    dbs.add(stray)
    dbs.flush()
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert str(stray.id) in result.output


def test_many_unchained_rows_are_counted_and_the_first_named(app, dbs):
    rows = [_stray_row(actor_type="moderator", action="admin:blocked:content", entity_id=f"p{i}")
            for i in range(chain.UNCHAINED_SHOWN + 5)]
    dbs.add_all(rows)
    dbs.flush()
    result = verdict(app)
    assert result.unchained_total == chain.UNCHAINED_SHOWN + 5
    assert len(result.unchained) == chain.UNCHAINED_SHOWN and "and 5 more" in result.summary
    with app.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Log)) == len(rows)
