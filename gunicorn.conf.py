"""gunicorn settings for Flick Admin in production:

    gunicorn -c gunicorn.conf.py -w 4 -b 0.0.0.0:8000 wsgi:app

(gunicorn also reads ``./gunicorn.conf.py`` by itself when started from this directory.)

- ``preload_app``: the app is imported and built once, in the master, before the workers
  fork; each worker starts serving at once and shares the master's memory (the modules,
  templates, Flask-Admin's views) copy-on-write. Building the app opens no database
  connection (``tests/ops/test_serving.py`` checks it); each worker still drops any pooled
  connection it inherited, so no two processes ever share one.
- ``gc.freeze()`` before each fork: the objects of the loaded app (about 140,000) move to
  the collector's permanent generation, so a worker's collections never walk them (and
  never write to their pages, which would copy them). The collector is off in the master
  while the app loads, so the frozen objects are packed, and on again in each worker.

Workers stay gunicorn's sync workers: a request is CPU work, then PostgreSQL, then CPU
work; two to four workers a core. ``WEB_CONCURRENCY`` or ``-w`` sets how many. With the app
preloaded, a new release needs a restart: ``SIGHUP`` re-forks the workers from the old code.
"""

from __future__ import annotations

import gc

preload_app = True

gc.disable()  # until the workers fork: no holes in the pages the workers share


def pre_fork(server, worker):
    gc.freeze()


def post_fork(server, worker):
    gc.enable()
    _drop_inherited_connections(server)


def _drop_inherited_connections(server) -> None:
    app = server.app.wsgi()  # the app the master built (preload_app)
    try:
        from flick_admin.extensions import db
    except ImportError:  # another app under this config (the bench's stock Flask-Admin)
        return
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)
