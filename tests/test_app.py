"""The app factory, configuration and the shell's pages."""

from __future__ import annotations

import pytest

from flick_admin import create_app
from flick_admin.config import ConfigError, load, normalise_database_url


def test_production_refuses_to_start_without_a_secret_key():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load({"FLICK_ADMIN_ENV": "production"})
    with pytest.raises(ConfigError):
        create_app({"FLICK_ADMIN_ENV": "production", "SECRET_KEY": ""})


def test_development_gets_a_random_secret_and_sqlite_by_default():
    settings = load({"FLICK_ADMIN_ENV": "development"})
    assert len(settings["SECRET_KEY"]) >= 32
    assert settings["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert settings["COOKIE_SECURE"] is False
    assert load({"SECRET_KEY": "x", "RATELIMIT_ALLOW_MEMORY": "1"})["COOKIE_SECURE"] is True


@pytest.mark.parametrize(("given", "used"), [
    ("postgresql://u:p@db/flick?sslmode=require", "postgresql+psycopg://u:p@db/flick?sslmode=require"),
    ("postgres://u@db/flick", "postgresql+psycopg://u@db/flick"),
    ("postgresql+psycopg://u@db/flick", "postgresql+psycopg://u@db/flick"),
    ("sqlite:///x.db", "sqlite:///x.db"),
])
def test_plain_postgresql_urls_use_psycopg3(given, used):
    assert normalise_database_url(given) == used


def test_bad_numbers_in_the_environment_are_explained():
    with pytest.raises(ConfigError, match="TRUSTED_PROXY_COUNT"):
        load({"SECRET_KEY": "x", "RATELIMIT_ALLOW_MEMORY": "1", "TRUSTED_PROXY_COUNT": "two"})


def test_unknown_pages_get_the_dashboard_404(client, dbs, login_as):
    login_as("moderator")
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert b"Not found" in response.data and b"Flick Admin" in response.data


def test_wrong_method_is_a_405_page(client, dbs):
    response = client.delete("/login")
    assert response.status_code == 405


def test_security_headers_and_request_id_on_every_response(client, dbs):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert len(response.headers["X-Request-Id"]) == 36


def test_static_assets_are_served_locally(client, dbs):
    page = client.get("/login").get_data(as_text=True)
    assert "cdn" not in page.lower()
    assert client.get("/static/admin/bootstrap/bootstrap4/css/bootstrap.min.css").status_code == 200
    assert client.get("/static/flick-admin.css").status_code == 200


def test_second_factor_is_required_of_admins_in_production_only_by_default():
    shared = {"SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"}
    assert load(shared)["REQUIRE_2FA_ROLES"] == {"admin", "superadmin"}
    assert load({"FLICK_ADMIN_ENV": "development"})["REQUIRE_2FA_ROLES"] == frozenset()
    assert load({**shared, "REQUIRE_2FA_ROLES": "moderator, admin"})["REQUIRE_2FA_ROLES"] == {
        "moderator", "admin"}


def test_production_refuses_per_process_throttling_unless_allowed():
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI is per-process memory"):
        load({"SECRET_KEY": "x"})
    with pytest.raises(ConfigError, match="RATELIMIT_ALLOW_MEMORY"):
        create_app({"FLICK_ADMIN_ENV": "production", "SECRET_KEY": "x",
                    "RATELIMIT_STORAGE_URI": "memory://"})
    shared = load({"SECRET_KEY": "x", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/0"})
    assert shared["RATELIMIT_STORAGE_URI"].startswith("redis://")
    single = load({"SECRET_KEY": "x", "RATELIMIT_ALLOW_MEMORY": "1"})
    assert single["RATELIMIT_STORAGE_URI"] == "memory://"
    assert load({"SECRET_KEY": "x", "RATELIMIT_ENABLED": "0"})["RATELIMIT_ENABLED"] is False
    assert load({"FLICK_ADMIN_ENV": "development"})["RATELIMIT_STORAGE_URI"] == "memory://"


def test_a_page_load_the_database_refuses_does_not_claim_nothing_changed(client, dbs, login_as, connection):
    """A 503 on a GET cannot know whether the action before it was saved: it says the page
    could not be loaded and links to the member's own recent actions."""
    login_as("admin")
    dbs.flush()
    connection.exec_driver_sql("ALTER TABLE banned_words RENAME TO banned_words_away")  # rolled back
    response = client.get("/banned-words/")
    text = response.get_data(as_text=True)
    assert response.status_code == 503
    assert "nothing was changed" not in text.lower() and "Action not saved" not in text
    assert "could not be loaded" in text and "may have been saved" in text
    assert 'href="/audit/?mine=1"' in text
