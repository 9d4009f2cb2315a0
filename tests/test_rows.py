"""The list rows drawn in Python escape exactly as the templates did (MarkupSafe)."""

import uuid

import markupsafe
import pytest

from flick_admin.ui.rows import escape


@pytest.mark.parametrize("value", ['<b>"quoted" & \'single\'</b>', "plain", "", None, 0, 42,
                                   "ü € 😀 <script>", "&amp;", uuid.UUID(int=7)])
def test_escape_matches_markupsafe(value):
    assert escape(value) == str(markupsafe.escape(value))
