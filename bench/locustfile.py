"""The moderator mix for the capacity run (``python -m bench.capacity``): the report queue,
a post's page, a decision on a post, and the audit log — against Flick Admin, or the same
reads against the stock Flask-Admin baseline (``CAPACITY_TARGET=baseline``; its "decide"
is opening the post's edit form, the stock way to change a post).

Settings come from the environment the capacity driver sets: the session cookie, the
post ids to read, and the posts each simulated moderator may decide (disjoint per user,
banned and unbanned in turn; the driver unbans what a step leaves banned, so the data ends
as it began). ``FastHttpUser`` (geventhttpclient) serves several times the requests of
``HttpUser`` (requests) on a core, by Locust's own account, which leaves the two cores
to the servers."""

from __future__ import annotations

import itertools
import os
import random
import re
from http.cookiejar import Cookie

from locust import FastHttpUser, task

TARGET = os.environ.get("CAPACITY_TARGET", "ours")
COOKIE = os.environ.get("CAPACITY_COOKIE", "")
COOKIE_NAME = os.environ.get("CAPACITY_COOKIE_NAME", "flick_admin_session")
READ_POSTS = [p for p in os.environ.get("CAPACITY_READ_POSTS", "").split(",") if p]
DECIDE_POSTS = [p for p in os.environ.get("CAPACITY_DECIDE_POSTS", "").split(",") if p]
USERS_AT_MOST = 64  # the decide posts are dealt out to this many users
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_next_user = itertools.count()


def session_cookie(host: str) -> Cookie:
    return Cookie(0, COOKIE_NAME, COOKIE, None, False, host, False, False, "/", True, False,
                  None, False, None, None, {})


class Moderator(FastHttpUser):
    # No think time: each user sends its next request when the last one is answered, so
    # the number of users is the number of requests in flight.
    wait_time = staticmethod(lambda: 0)

    def on_start(self) -> None:
        self.rng = random.Random()
        index = next(_next_user)
        self.mine = DECIDE_POSTS[index % USERS_AT_MOST::USERS_AT_MOST] or DECIDE_POSTS[:1]
        self.banned: set[str] = set()
        self.csrf = None
        if TARGET == "ours":
            self.client.cookiejar.set_cookie(session_cookie(self.host.split("//", 1)[1].split(":")[0]))
            page = self.client.get("/reports/", name="queue").text
            found = CSRF.search(page or "")
            self.csrf = found.group(1) if found else None

    @task(4)
    def queue(self) -> None:
        self.client.get("/reports/" if TARGET == "ours" else "/admin/report/", name="queue")

    @task(3)
    def post_page(self) -> None:
        post = self.rng.choice(READ_POSTS)
        url = f"/posts/{post}" if TARGET == "ours" else f"/admin/post/details/?id={post}"
        self.client.get(url, name="post page")

    @task(1)
    def decide(self) -> None:
        post = self.rng.choice(self.mine)
        if TARGET != "ours":
            self.client.get(f"/admin/post/edit/?id={post}", name="decide")
            return
        action = "unban" if post in self.banned else "ban"
        response = self.client.post(f"/posts/{post}/act", name="decide", allow_redirects=False, data={
            "csrf_token": self.csrf, "action": action, "reason_choice": "Spam or scam",
            "reason_text": "capacity run", "next": "/reports/"})
        if response.status_code == 303:
            (self.banned.discard if action == "unban" else self.banned.add)(post)

    @task(2)
    def audit_page(self) -> None:
        self.client.get("/audit/" if TARGET == "ours" else "/admin/log/", name="audit page")
