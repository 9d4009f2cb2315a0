"""The list rows drawn in Python (``flick_admin.ui.rows``, ``flick_admin.audit.rows``) are the
markup the Jinja templates drew, character for character, for anything a student can write:
markup, quotes, ampersands, non-Latin text, very long text, missing values. The templates'
row markup is kept here as it was before the rows moved to Python, and rendered by the app's
own Jinja environment (autoescape) beside the painters."""

from __future__ import annotations

import uuid
from datetime import timedelta
from types import SimpleNamespace

import pytest

from flick_admin.audit.rows import audit_rows
from flick_admin.db.base import utcnow
from flick_admin.ui.rows import comment_rows, post_rows, user_rows
from tests import factories

HOSTILE = ['<script>alert("x")</script>', "O'Brien & \"sons\"", "&amp; &lt;b&gt;", "नमस्ते 😀 мир ‮rtl",
           "x" * 5000 + "<", "{{ 7*7 }} {% raw %}", "%s %(x)s {0} {x}", "", "\x00\x1f"]

OLD_POST = """{% import 'moderation/_macros.html' as m %}{% set post_url, user_url = url_prefix('posts.detail', 'post_id'), url_prefix('users.detail', 'user_id') %}
    <tr class="kb-row" data-open="{{ post_url ~ p.id }}" data-live-id="post:{{ p.id }}">
      <td style="max-width: 30rem"><a href="{{ post_url ~ p.id }}"><strong>{{ p.title }}</strong></a>
        <div class="text-inert small text-muted">{{ p.excerpt }}</div></td>
      <td class="small">{% if p.auth_id %}<a href="{{ user_url ~ p.auth_id|urlencode }}">{{ p.username }}</a><br><span class="text-muted">{{ p.college }}</span>{% else %}<em>deleted</em>{% endif %}</td>
      <td class="small">{{ p.topic }}</td>
      <td class="small">{{ m.time(p.created_at) }}</td>
      <td class="small">{{ p.views or 0 }}</td>
      <td>{% if p.pending %}<span class="badge badge-pill badge-dark">{{ p.pending }}</span>{% endif %}</td>
      <td data-live-cell>{{ m.content_badges(p.is_banned, p.is_shadow_banned, p.is_private) }}</td>
    </tr>
  """

OLD_COMMENT = """{% import 'moderation/_macros.html' as m %}{% set comment_url, post_url, user_url = url_prefix('comments.detail', 'comment_id'), url_prefix('posts.detail', 'post_id'), url_prefix('users.detail', 'user_id') %}
    <tr class="kb-row" data-open="{{ comment_url ~ c.id }}" data-live-id="comment:{{ c.id }}">
      <td class="small" style="max-width: 28rem"><a href="{{ comment_url ~ c.id }}" class="text-inert">{{ c.excerpt }}</a></td>
      <td class="small">{% if c.post_outside %}<span class="text-muted">{{ c.post_title }}</span>{% else %}<a href="{{ post_url ~ c.post_id }}">{{ c.post_title }}</a>{% endif %}</td>
      <td class="small">{% if c.auth_id %}<a href="{{ user_url ~ c.auth_id|urlencode }}">{{ c.username }}</a>{% endif %}</td>
      <td class="small">{{ m.time(c.created_at) }}</td>
      <td>{% if c.pending %}<span class="badge badge-pill badge-dark">{{ c.pending }}</span>{% endif %}</td>
      <td data-live-cell>{{ m.content_badges(c.is_banned) }}</td>
    </tr>
  """

OLD_USER = """{% import 'moderation/_macros.html' as m %}{% set user_url = url_prefix('users.detail', 'user_id') %}
    <tr class="kb-row" data-open="{{ user_url ~ u.id|urlencode }}">
      <td><a href="{{ user_url ~ u.id|urlencode }}">{{ u.username or u.name }}</a></td>
      <td class="small">{{ u.email }}</td>
      <td class="small">{{ u.college or "—" }}</td>
      <td class="small">{{ u.role or "—" }}</td>
      <td class="small">{{ u.status or "—" }}</td>
      <td class="small">{{ u.karma if u.karma is not none else "—" }}</td>
      <td class="small">{{ m.time(u.created_at) }}</td>
      <td>{{ m.ban_badge(u.banned, u.ban_expires) }}</td>
    </tr>
  """


def _both(app, old: str, painter, name: str, row) -> tuple[str, str]:
    with app.test_request_context("/"):
        before = app.jinja_env.from_string(old).render(**{name: row})
        after = str(painter()(row))
    return before, after


@pytest.mark.parametrize("text", HOSTILE + [None])
def test_post_rows_are_the_template_rows(app, text):
    row = SimpleNamespace(id=uuid.uuid4(), title=text, excerpt=text, auth_id=f"auth/{text}?&#",
                          username=text, college=text, topic=text, created_at=utcnow() - timedelta(hours=3),
                          views=None, pending=2, is_banned=False, is_shadow_banned=True, is_private=True)
    before, after = _both(app, OLD_POST, post_rows, "p", row)
    assert after == before


@pytest.mark.parametrize("text", HOSTILE + [None])
@pytest.mark.parametrize("outside", [False, True])
def test_comment_rows_are_the_template_rows(app, text, outside):
    row = SimpleNamespace(id=uuid.uuid4(), excerpt=text, post_outside=outside, post_title=text,
                          post_id=uuid.uuid4(), auth_id=text, username=text,
                          created_at=utcnow() - timedelta(days=40), pending=0, is_banned=True)
    before, after = _both(app, OLD_COMMENT, comment_rows, "c", row)
    assert after == before


@pytest.mark.parametrize("text", HOSTILE + [None])
def test_user_rows_are_the_template_rows(app, text):
    row = SimpleNamespace(id=f"id {text}", username=text, name="fallback <name>", email=text, college=text,
                          role=None, status=text, karma=0, created_at=utcnow(), banned=True,
                          ban_expires=utcnow() + timedelta(days=2))
    before, after = _both(app, OLD_USER, user_rows, "u", row)
    assert after == before


def test_audit_rows_escape_what_students_and_staff_write(app, client, dbs, login_as):
    login_as("superadmin")
    post = factories.PostFactory(title='<script>alert("t")</script> & "q"')
    factories.LogFactory(actor_type="moderator", action="admin:blocked:content", entity_type="post",
                         entity_id=str(post.id), reason="<img src=x onerror=alert(1)> & 'r'",
                         metadata_={"label": "<b>label</b> & \"l\"", "batch_id": "b1"})
    body = client.get("/audit/").get_data(as_text=True)
    assert "<img src=x" not in body and "<b>label</b>" not in body and "<script>alert(" not in body
    assert "&lt;img src=x onerror=alert(1)&gt; &amp; &#39;r&#39;" in body
    assert "&lt;b&gt;label&lt;/b&gt; &amp; &#34;l&#34;" in body


@pytest.mark.parametrize("metadata", [["batch_id", "b1"], "batch_id", 7, True, {"batch_id": None}])
def test_the_audit_list_draws_rows_whose_metadata_is_not_an_object(app, client, dbs, login_as, metadata):
    """Flick's own server writes audit rows too: metadata that is a list, a text or a number
    is drawn (as the template drew it: no batch badge), never a 500."""
    login_as("superadmin")
    row = factories.LogFactory(actor_type="user", action="user:created:post", metadata_=metadata)
    response = client.get("/audit/")
    assert response.status_code == 200
    assert str(row.id) in response.get_data(as_text=True)
    assert client.get(f"/audit/entry/{row.id}").status_code == 200


def test_audit_row_painter_matches_for_a_row_without_metadata(app):
    row = SimpleNamespace(id=uuid.uuid4(), occured_at=utcnow(), actor_id=None, actor_type="system",
                          action="system:verified:backup", entity_type=None, entity_id=None, reason=None,
                          metadata_=None, actor_email=None)
    with app.test_request_context("/"):
        html = str(audit_rows()(row))
    assert 'data-testid="audit-row"' in html and "batch" not in html
