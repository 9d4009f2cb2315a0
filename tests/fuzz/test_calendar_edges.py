"""Dates at the calendar's edge: every date filter answers a clear 400 (or the page) for the
first and last days Python and PostgreSQL know, and for offsets that carry them past the
edge in UTC — never a 500."""

from __future__ import annotations

import pytest

EDGE_TIMES = ["0001-01-01T00:00+01:00", "9999-12-31T23:59-01:00", "0001-01-01", "9999-12-31",
              "9999-12-31T23:59:59.999999", "0001-01-01T00:00"]
EDGE_DAYS = ["0001-01-01", "9999-12-31", "9999-12-30"]


@pytest.mark.parametrize("value", EDGE_TIMES)
@pytest.mark.parametrize("name", ["since", "until"])
@pytest.mark.parametrize("path", ["/audit/", "/audit/export.csv", "/audit/export.jsonl"])
def test_audit_time_range_at_the_calendars_edge(client, login_as, path, name, value):
    login_as("auditor")
    response = client.get(path, query_string={name: value})
    response.get_data()
    assert response.status_code in (200, 400)


def test_an_offset_past_the_first_day_in_utc_is_a_400_that_says_so(client, login_as):
    login_as("auditor")
    for path in ("/audit/", "/audit/export.csv"):
        response = client.get(path, query_string={"since": "0001-01-01T00:00+01:00"})
        assert response.status_code == 400
        assert "outside the calendar" in response.get_data(as_text=True)


@pytest.mark.parametrize("value", EDGE_DAYS)
@pytest.mark.parametrize("name", ["created_from", "created_to"])
def test_post_date_filters_at_the_calendars_edge(client, login_as, name, value):
    login_as("moderator")
    response = client.get("/posts/", query_string={name: value})
    assert response.status_code in (200, 400)


def test_up_to_the_last_day_is_a_400_that_says_so(client, login_as):
    login_as("moderator")
    response = client.get("/posts/", query_string={"created_to": "9999-12-31"})
    assert response.status_code == 400
    assert "past the last date" in response.get_data(as_text=True)
