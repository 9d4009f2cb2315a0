"""Models of Flick's 20 tables, the enums, and ``transaction()``."""

from flick_admin.db.audit import Log
from flick_admin.db.auth import Account, Auth, Session, TwoFactor, Verification
from flick_admin.db.colleges import Branch, College, CollegeBranch, CollegeRequest
from flick_admin.db.content import Bookmark, Comment, Notification, Post, Vote
from flick_admin.db.moderation import BannedWord
from flick_admin.db.reports import ContentReport, Feedback
from flick_admin.db.users import PlatformUser, UserBlock
from flick_admin.db import tallies as _tallies  # noqa: F401  (Flick Admin's own tables)
from flick_admin.db import team as _team  # noqa: F401
from flick_admin.db import reasons as _reasons  # noqa: F401

__all__ = [
    "Account", "Auth", "BannedWord", "Bookmark", "Branch", "College", "CollegeBranch",
    "CollegeRequest", "Comment", "ContentReport", "Feedback", "Log", "Notification",
    "PlatformUser", "Post", "Session", "TwoFactor", "UserBlock", "Verification", "Vote",
]
