"""The overview's numbers, checked against data seeded for the purpose."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from flick_admin.home import overview
from tests import factories

NOW = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0)
NAIVE = NOW.replace(tzinfo=None)


@pytest.fixture
def seeded(dbs):
    mod = factories.StaffFactory(role="moderator", email="mod@flick.test")
    admin = factories.StaffFactory(role="admin", email="admin@flick.test")
    factories.ReportFactory(created_at=NAIVE - timedelta(days=5))
    factories.ReportFactory.create_batch(2, created_at=NAIVE - timedelta(hours=2))
    for hours in (1, 3, 5):  # decided reports: median 3 h
        created = NAIVE - timedelta(days=2, hours=hours)
        factories.ReportFactory(status="resolved", created_at=created, updated_at=created + timedelta(hours=hours))
    factories.ReportFactory(status="ignored", created_at=NAIVE - timedelta(days=40),
                            updated_at=NAIVE - timedelta(days=35))  # outside the 30 days
    factories.AuthFactory(banned_forever=True)
    factories.AuthFactory(suspended=True)
    factories.AuthFactory(ban_expired=True)
    factories.CollegeRequestFactory.create_batch(2)
    factories.CollegeRequestFactory(status="approved")
    today = NOW - timedelta(hours=1)
    for action, entity in (("admin:blocked:content", "post"), ("admin:banned:user", "user")):
        factories.LogFactory(actor_id=mod.id, actor_type="moderator", action=action,
                             entity_type=entity, occured_at=today)
    factories.LogFactory(actor_id=admin.id, actor_type="admin", action="admin:updated:college",
                         entity_type="college", occured_at=NOW - timedelta(days=1, hours=3))
    factories.LogFactory(actor_id=admin.id, actor_type="admin", action="admin:logged:in:self",
                         entity_type="session", occured_at=today)
    factories.LogFactory(actor_type="user", action="user:created:post", occured_at=today)  # a student
    factories.LogFactory(actor_id=mod.id, actor_type="moderator", action="admin:blocked:content",
                         entity_type="post", occured_at=NOW - timedelta(days=20))
    return mod, admin


def test_numbers(app, seeded):
    with app.app_context():
        o = overview.build(now=NOW, period_days=7)
    assert o.pending_reports == 3
    assert o.oldest_pending == NAIVE - timedelta(days=5)
    assert o.actions_today == 3  # two moderator actions and one staff sign-in; not the student
    assert o.bans_in_force == 2
    assert o.requests_waiting == 2
    assert o.median_decision == timedelta(hours=3)
    today, yesterday = NOW.date(), NOW.date() - timedelta(days=1)
    assert o.actions_by_day[today] == {"content": 1, "reports": 0, "users": 1, "colleges": 0, "other": 1}
    assert o.actions_by_day[yesterday]["colleges"] == 1
    assert o.actions_by_day[NOW.date() - timedelta(days=20)]["content"] == 1
    assert sum(o.opened_by_day.values()) == 6 and o.opened_by_day[today] == 2
    assert sum(o.decided_by_day.values()) == 3
    assert [(r["email"], r["content"], r["users"], r["colleges"], r["total"]) for r in o.per_moderator] == [
        ("mod@flick.test", 1, 1, 0, 2), ("admin@flick.test", 0, 0, 1, 1)]


def test_period_widens_the_per_moderator_table(app, seeded):
    with app.app_context():
        month = overview.build(now=NOW, period_days=30)
    mod_row = next(r for r in month.per_moderator if r["email"] == "mod@flick.test")
    assert mod_row["content"] == 2 and mod_row["total"] == 3


def test_home_page_renders_the_numbers_and_charts(client, seeded, login_as):
    login_as("auditor")
    page = client.get("/").get_data(as_text=True)
    assert re.search(r'data-testid="pending-reports">3<', page)
    assert re.search(r'data-testid="requests-waiting">2<', page)
    assert re.search(r'data-testid="bans-in-force">2<', page)
    assert "3.0 h" in page
    chart = page.split('data-testid="actions-chart"')[1].split("</svg>")[0]
    assert "<script" not in chart and chart.count("<rect") >= 4
    assert re.search(r'data-kind="colleges" data-n="1"', chart)
    lines = page.split('data-testid="reports-chart"')[1].split("</svg>")[0]
    assert 'data-series="opened" data-total="6"' in lines and 'data-series="decided" data-total="3"' in lines
    assert client.get("/", query_string={"period": "13"}).status_code == 400


def test_kind_of():
    assert overview.kind_of("admin:shadow:banned:content") == "content"
    assert overview.kind_of("admin:updated:report:status") == "reports"
    assert overview.kind_of("admin:suspended:user") == "users"
    assert overview.kind_of("admin:approved:college-request") == "colleges"
    assert overview.kind_of("admin:logged:in:self") == "other"


def test_median_of_an_even_count_is_the_mean_of_the_middle_two(app, dbs):
    for hours in (1, 3, 5, 7):
        created = NAIVE - timedelta(days=1, hours=hours)
        factories.ReportFactory(status="resolved", created_at=created, updated_at=created + timedelta(hours=hours))
    with app.app_context():
        assert overview.build(now=NOW).median_decision == timedelta(hours=4)


def test_home_page_costs_a_few_statements(client, seeded, login_as, count_queries):
    login_as("moderator")
    with count_queries() as counted:
        assert client.get("/", query_string={"period": "90"}).status_code == 200
    assert counted.n <= 5, counted.statements


def test_the_overview_is_cached_for_a_short_time(app, dbs, count_queries):
    overview._CACHE.clear()
    with app.test_request_context("/"):
        first = overview.cached(7, ttl_seconds=60)
        with count_queries() as counted:
            again = overview.cached(7, ttl_seconds=60)
        assert again is first and counted.n == 0
        other_period = overview.cached(30, ttl_seconds=60)
        assert other_period is not first
    overview._CACHE.clear()


def test_holding_items_is_not_a_content_decision_and_deactivated_staff_are_not_bans(app, dbs):
    mod = factories.StaffFactory(role="moderator", email="holder@flick.test")
    factories.StaffFactory(role="moderator", banned=True, ban_reason="deactivated")  # deactivated staff
    factories.AuthFactory(banned_forever=True)  # a banned student account
    today = NOW - timedelta(hours=1)
    for action in ("admin:claimed:content", "admin:released:content", "admin:took-over:content",
                   "admin:assigned:content"):
        factories.LogFactory(actor_id=mod.id, actor_type="moderator", action=action,
                             entity_type="post", occured_at=today)
    factories.LogFactory(actor_id=mod.id, actor_type="moderator", action="admin:blocked:content",
                         entity_type="post", occured_at=today)
    with app.app_context():
        o = overview.build(now=NOW, period_days=7)
    assert o.actions_by_day[NOW.date()]["content"] == 1
    assert o.actions_by_day[NOW.date()]["other"] == 4
    (row,) = [r for r in o.per_moderator if r["email"] == "holder@flick.test"]
    assert (row["content"], row["total"]) == (1, 1)
    assert o.bans_in_force == 1
    assert overview.kind_of("admin:claimed:content") == "other"
