"""Open redirects: ``next`` after sign-in (and a form's ``next``) may only name a path on
this site, whatever a browser would make of it."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from flick_admin.ui.web import safe_next
from tests import factories

DEFAULT = "/"

HOSTILE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/%09/evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    "/%2F%2Fevil.example",
    "/%2f/evil.example",
    "/%252F%252Fevil.example",
    "/%5Cevil.example",
    "https:evil.example",
    "https://evil.example",
    "http:/evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "\x00//evil.example",
    "/\x00/evil.example",
    "/\u200b/evil.example",
    "/\u3000/evil.example",
    "evil.example",
    "",
]


def browser_reading(url: str) -> tuple[str, str]:
    """(scheme, host) as a browser takes a Location value: leading and trailing C0 controls
    and spaces stripped, tabs and newlines removed anywhere, backslashes read as slashes."""
    url = url.strip("".join(chr(c) for c in range(0x21)))
    url = re.sub(r"[\t\n\r]", "", url).replace("\\", "/")
    parts = urlsplit(url)
    return parts.scheme, parts.netloc


@pytest.mark.parametrize("target", HOSTILE)
def test_hostile_next_values_fall_back_to_the_default(target):
    assert safe_next(target, DEFAULT) == DEFAULT


@pytest.mark.parametrize("target", ["/", "/posts/", "/posts/?q=hello+world&state=banned",
                                    "/reports/?status=pending#row-3", "/users/abc%20def",
                                    "/audit/?actor=a%40b.example"])
def test_local_paths_are_kept(target):
    assert safe_next(target, DEFAULT) == target


# Characters that matter to URL parsing, plus anything at all.
PIECES = st.sampled_from(["/", "\\", "%", "2F", "2f", "5C", "09", "0A", ":", "@", "?", "#", ".",
                          "evil.example", "http", "https", "\t", "\n", "\r", " ", "\x00", "\x7f",
                          "\u200b", "\u3000", "%25", "javascript"])
NEXT_VALUES = st.one_of(st.lists(PIECES, max_size=12).map("".join), st.text(max_size=40))


@given(NEXT_VALUES)
@settings(max_examples=600, deadline=None)
def test_generated_next_values_never_name_a_scheme_or_host(target):
    result = safe_next(target, DEFAULT)
    assert result.startswith("/")
    for reading in (result, _decoded(result)):
        assert browser_reading(reading) == ("", ""), (target, result)


def _decoded(value: str) -> str:
    from urllib.parse import unquote

    for _ in range(4):
        value = unquote(value)
    return value


@given(NEXT_VALUES)
@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_sign_in_redirects_only_on_this_site(app, connection, dbs, target):
    user = factories.StaffFactory(role="moderator")
    dbs.flush()
    visitor = app.test_client()
    response = visitor.post("/login", query_string={"next": target},
                            data={"email": user.email, "password": factories.STAFF_PASSWORD})
    if "\x00" in target:  # refused before anything else looks at it
        assert response.status_code == 400
        return
    assert response.status_code == 303
    location = response.headers["Location"]
    assert browser_reading(location) == ("", ""), (target, location)
    assert browser_reading(_decoded(location)) == ("", ""), (target, location)
