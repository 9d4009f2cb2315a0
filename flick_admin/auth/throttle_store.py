"""When the throttling store (Redis) does not answer, sign-in fails closed.

Failed sign-ins are counted in ``RATELIMIT_STORAGE_URI``, shared by every worker. Without
it the limits cannot be kept (each worker counting alone multiplies them), so a sign-in
attempt is refused with a 503 that says why, and the failure is logged; staff already
signed in keep working, since only the sign-in forms are throttled (a Redis error from
anywhere but the limiter gets the usual error page). Each attempt asks
Redis again, so throttling resumes as soon as it answers.
"""

from __future__ import annotations

import os
import traceback

from flask import Flask, current_app, request

MESSAGE = ("Sign-in is paused: Flick Admin cannot reach the store that counts failed sign-ins, "
           "so it cannot guard against password guessing. Staff already signed in are not "
           "affected. Try again in a minute; if it lasts, tell whoever runs Flick Admin.")


def _from_the_limiter(exc: BaseException) -> bool:
    return any("flask_limiter" in frame.filename or f"{os.sep}limits{os.sep}" in frame.filename
               for frame in traceback.extract_tb(exc.__traceback__))


def init_app(app: Flask) -> None:
    try:
        from redis.exceptions import RedisError
    except ImportError:  # the redis client is a dependency; without it nothing can fail here
        return

    @app.errorhandler(RedisError)
    def throttling_store_unreachable(exc):
        if not _from_the_limiter(exc):
            raise exc  # some other use of Redis: the usual error page
        from flick_admin.ui.shell import render_page

        current_app.logger.error("Sign-in refused: the throttling store (%s) did not answer on %s: %s",
                                 current_app.config.get("RATELIMIT_STORAGE_URI", "").split("@")[-1],
                                 request.path, exc)
        return render_page("errors/generic.html", status=503, title="Sign-in unavailable", message=MESSAGE)
