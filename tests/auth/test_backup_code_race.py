"""One backup code opens one session, even when two sign-ins with it race (real
concurrency on PostgreSQL: two connections, both past the read of the code before either
commits, unless the read waits for the other's lock). These tests commit for real and
clean up after themselves."""

from __future__ import annotations

import json
import threading
import uuid

import pytest
import sqlalchemy as sa
from sqlalchemy import orm

from flick_admin.auth import services, totp_keys
from flick_admin.auth.passwords import hash_password
from flick_admin.auth.two_factor import _hash
from flick_admin.db import Account, Auth, Session, TwoFactor
from flick_admin.extensions import db
from tests.conftest import purge_committed_audit

pytestmark = pytest.mark.postgres_only

CODE = "abcdef-123456"


@pytest.fixture
def staff_with_backup_code(app):
    with app.app_context():
        engine = db.engine
        keys = totp_keys.keys()
    user_id = f"race-{uuid.uuid4().hex}"
    with orm.Session(engine) as s:
        s.add(Auth(id=user_id, name="racer", email=f"{user_id}@flick.test", role="admin",
                   two_factor_enabled=True))
        s.flush()
        s.add(Account(id=uuid.uuid4().hex, account_id=user_id, provider_id="credential", user_id=user_id,
                      password=hash_password("irrelevant password")))
        s.add(TwoFactor(id=uuid.uuid4().hex, user_id=user_id, secret=keys.seal("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"),
                        backup_codes=keys.seal(json.dumps([_hash(CODE), _hash("other1-other1")]))))
        s.commit()
    try:
        yield user_id
    finally:
        with orm.Session(engine) as s:
            sessions = s.scalars(sa.select(Session.id).where(Session.user_id == user_id)).all()
            purge_committed_audit(s, [user_id, *sessions])
            s.execute(sa.delete(Auth).where(Auth.id == user_id))
            s.commit()


def test_two_sign_ins_racing_with_one_backup_code_open_one_session(app, staff_with_backup_code):
    user_id = staff_with_backup_code
    with app.app_context():
        engine = db.engine
    # Both sign-ins stop right after reading the second-factor row and wait (a short while)
    # for the other to have read it too: without a row lock both read the code as unused.
    both_read = threading.Barrier(2)
    mine = threading.local()

    def after_execute(conn, cursor, statement, parameters, context, executemany):
        if getattr(mine, "racing", False) and "FROM two_factor" in statement:
            mine.racing = False
            try:
                both_read.wait(timeout=3)
            except threading.BrokenBarrierError:
                pass  # the other sign-in is waiting for this one's lock

    results: list = [None, None]
    start = threading.Barrier(2)

    def sign_in(index):
        with app.test_request_context("/login/code"):
            try:
                start.wait(timeout=10)
                mine.racing = True
                results[index] = services.complete_sign_in(user_id, CODE)
            except Exception as exc:  # each side's outcome is inspected below
                results[index] = exc
            finally:
                db.session.remove()

    sa.event.listen(engine, "after_cursor_execute", after_execute)
    try:
        threads = [threading.Thread(target=sign_in, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
    finally:
        sa.event.remove(engine, "after_cursor_execute", after_execute)
    opened = [r for r in results if isinstance(r, services.SignedIn)]
    refused = [r for r in results if isinstance(r, services.SignInFailed)]
    assert len(opened) == 1 and len(refused) == 1, results
    with orm.Session(engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(Session).where(Session.user_id == user_id)) == 1
        stored = s.scalar(sa.select(TwoFactor.backup_codes).where(TwoFactor.user_id == user_id))
    with app.app_context():
        left = json.loads(totp_keys.keys().open(stored)[0])
    assert left == [_hash("other1-other1")]
