"""After a content decision commits, Flick's cache versions move in Flick's Redis (a real
Redis, on a database number of these tests' own); a Redis error never undoes the decision."""

from __future__ import annotations

import pytest
import redis

from flick_admin.moderation import flick_cache
from tests import factories
from tests.conftest import audit_rows

REDIS_URL = "redis://127.0.0.1:6379/13"
CLOSED_PORT = "redis://127.0.0.1:1/0"
BAN = {"action": "ban", "reason_choice": "Spam or scam"}


@pytest.fixture
def flick_redis(app, monkeypatch):
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    client.flushdb()
    monkeypatch.setitem(app.config, "FLICK_CACHE_REDIS_URL", REDIS_URL)
    yield client
    client.flushdb()


def flick_reads(client: redis.Redis, key: str) -> int:
    """Flick's read: JSON of the value, a missing version counts as 1."""
    value = client.get(key)
    return int(value) if value else 1


def flashes(client) -> str:
    return client.get("/reports/").get_data(as_text=True)


def test_a_post_ban_moves_flicks_versions(client, dbs, login_as, flick_redis):
    login_as("moderator")
    post, other = factories.PostFactory(), factories.PostFactory()
    flick_redis.set(flick_cache.LIST_KEY, 5)
    assert client.post(f"/posts/{post.id}/act", data=BAN).status_code == 303
    assert flick_reads(flick_redis, f"post:version:{post.id}") == 2  # missing read as 1: a bare INCR would not move it
    assert flick_reads(flick_redis, "posts:list:version") == 6
    assert flick_reads(flick_redis, f"post:version:{other.id}") == 1
    client.post(f"/posts/{post.id}/act", data={"action": "unban", "reason_choice": "Spam or scam"})
    assert flick_reads(flick_redis, f"post:version:{post.id}") == 3


def test_shadow_ban_comment_ban_and_batch_move_them(client, dbs, login_as, flick_redis):
    login_as("admin")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data={"action": "shadow_ban", "reason_choice": "Spam or scam"})
    assert flick_reads(flick_redis, f"post:version:{post.id}") == 2
    comment = factories.CommentFactory()
    client.post(f"/comments/{comment.id}/act", data={"action": "ban", "state": "b0", "reason_choice": "Spam or scam"})
    assert flick_reads(flick_redis, f"post:version:{comment.post_id}") == 2
    posts = factories.PostFactory.create_batch(3)
    response = client.post("/reports/bulk", data={
        "action": "ban", "target": [f"post:{p.id}:b0s0" for p in posts], "reason_text": "coordinated spam"})
    assert response.status_code == 303
    assert [flick_reads(flick_redis, f"post:version:{p.id}") for p in posts] == [2, 2, 2]


def test_a_revert_moves_them(client, dbs, login_as, flick_redis):
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    (row,) = audit_rows(dbs, action="admin:blocked:content")
    before = flick_reads(flick_redis, "posts:list:version")
    assert client.post(f"/revert/{row.id}", data={"reason_choice": "Other",
                                                   "reason_text": "decided in error"}).status_code == 303
    assert flick_reads(flick_redis, f"post:version:{post.id}") == 3
    assert flick_reads(flick_redis, "posts:list:version") == before + 1


def test_a_refused_decision_bumps_nothing(client, dbs, login_as, flick_redis):
    login_as("moderator")
    post = factories.PostFactory()
    response = client.post(f"/posts/{post.id}/act", data={"action": "ban"})  # no reason
    assert response.status_code == 400
    assert flick_redis.dbsize() == 0


def test_redis_down_never_undoes_the_decision(app, client, dbs, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "FLICK_CACHE_REDIS_URL", CLOSED_PORT)
    admin = login_as("admin")
    post = factories.PostFactory()
    assert client.post(f"/posts/{post.id}/act", data=BAN).status_code == 303
    dbs.expire_all()
    assert dbs.get(type(post), post.id).is_banned is True
    assert len(audit_rows(dbs, action="admin:blocked:content")) == 1
    assert "Flick&#39;s cache could not be told" in flashes(client)
    status = flick_cache.status()
    assert status.last_error and status.last_error_at and status.failures >= 1
    assert admin
    health = client.get("/health/").get_data(as_text=True)
    assert "The last bump of Flick&#39;s cache versions failed" in health
    assert "ConnectionError" in health


def test_without_redis_the_message_says_when_feeds_change(app, client, dbs, login_as, monkeypatch):
    monkeypatch.setitem(app.config, "FLICK_CACHE_REDIS_URL", None)
    login_as("moderator")
    post = factories.PostFactory()
    client.post(f"/posts/{post.id}/act", data=BAN)
    assert "Flick&#39;s feeds show this change within Flick&#39;s cache time" in flashes(client)


def test_a_suspension_says_flicks_app_may_keep_the_sign_in(client, dbs, login_as):
    login_as("moderator")
    student = factories.StudentFactory()
    page = client.get(f"/users/{student.auth_id}").get_data(as_text=True)
    assert "Flick's app may keep an existing sign-in for up to 7 days" in page
    client.post(f"/users/{student.auth_id}/sanction",
                data={"kind": "suspend", "days": "3", "reason_choice": "Spam or scam"})
    assert "may keep an existing sign-in for up to 7 days; new sign-ins are refused" in flashes(client)
