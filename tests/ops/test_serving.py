"""Serving in production (``gunicorn.conf.py``): gunicorn's master builds the app before the
workers fork (``preload_app``), so building it must open no database connection, and each
worker drops any pooled connection it inherited; the loaded app is frozen out of the
garbage collector's way before each fork."""

from __future__ import annotations

import gc
import runpy
from pathlib import Path
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.pool import Pool

from tests.conftest import make_app

CONFIG = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


def test_building_the_app_opens_no_database_connection(database_url):
    opened = []

    def count(*_args):
        opened.append(1)

    sa.event.listen(Pool, "connect", count)
    try:
        make_app(database_url)
    finally:
        sa.event.remove(Pool, "connect", count)
    assert not opened


def test_the_production_config_preloads_freezes_and_drops_inherited_connections(database_url):
    from flick_admin.extensions import db

    was_enabled = gc.isenabled()
    config = runpy.run_path(str(CONFIG))  # as gunicorn's master reads it: the collector off
    try:
        assert config["preload_app"] is True
        assert not gc.isenabled()
        app = make_app(database_url)
        with app.app_context():
            engine = db.engine
            engine.connect().close()  # a pooled connection the master would hand down
            inherited = engine.pool
        assert inherited.checkedin() == 1
        server = SimpleNamespace(app=SimpleNamespace(wsgi=lambda: app))

        config["pre_fork"](server, None)
        assert gc.get_freeze_count() > 0

        config["post_fork"](server, None)
        assert gc.isenabled()
        assert engine.pool is not inherited and engine.pool.checkedin() == 0
    finally:
        gc.unfreeze()
        (gc.enable if was_enabled else gc.disable)()
