"""Flick's schema as Flick's own migrations 0000-0005 meant it (the baseline).

Creates exactly the 13 enum types and 20 tables of Flick's production schema, with
Flick's constraint and index names. ``college_requests`` is created once and
``logs.actor_id`` / ``logs.entity_id`` are ``text`` (the intended end state of Flick's
broken 0004/0005 pair). On PostgreSQL the schema facts after this revision equal
``tests/fixtures/flick-schema.json``; an existing Flick database is adopted by stamping
this revision (``flask --app wsgi adopt``).

Revision ID: 0001_flick_baseline
Revises:
"""

import sqlalchemy as sa
from alembic import op

from flick_admin.db.enums import FLICK_ENUMS
from flick_admin.db.migration_helpers import (
    INET,
    JSONB,
    desc_nulls_last,
    is_postgres,
    now_default,
    uuid_default,
)
from flick_admin.db.migration_helpers import enum_type as _enum_type
from flick_admin.db.quoting import ident, literal

revision = "0001_flick_baseline"
down_revision = None
branch_labels = None
depends_on = None


def enum_type(name: str):
    return _enum_type(name, FLICK_ENUMS[name])


def upgrade() -> None:
    now = now_default()
    uuid = uuid_default()
    if is_postgres():
        for name, labels in FLICK_ENUMS.items():
            quoted = ", ".join(literal(label) for label in labels)
            op.execute(f"CREATE TYPE {ident(name)} AS ENUM ({quoted})")

    op.create_table(
        "auth",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("ban_expires", sa.DateTime(), nullable=True),
        sa.Column("ban_reason", sa.Text(), nullable=True),
        sa.Column("banned", sa.Boolean(), nullable=True, server_default=sa.text("false")),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("email", sa.Text(), nullable=False),
        sa.Column("email_verified", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("role", sa.Text(), nullable=True),
        sa.Column("two_factor_enabled", sa.Boolean(), nullable=True, server_default=sa.text("false")),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.UniqueConstraint("email", name="auth_email_unique"),
        sa.PrimaryKeyConstraint('id', name="auth_pkey"),
    )

    op.create_table(
        "account",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("access_token", sa.Text(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("account_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("id_token", sa.Text(), nullable=True),
        sa.Column("password", sa.Text(), nullable=True),
        sa.Column("provider_id", sa.Text(), nullable=False),
        sa.Column("refresh_token", sa.Text(), nullable=True),
        sa.Column("refresh_token_expires_at", sa.DateTime(), nullable=True),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="account_pkey"),
        sa.ForeignKeyConstraint(["user_id"], ["auth.id"], name="account_user_id_auth_id_fk", ondelete="CASCADE"),
    )
    op.create_index("account_userId_idx", "account", ["user_id"])

    op.create_table(
        "session",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("impersonated_by", sa.Text(), nullable=True),
        sa.Column("ip_address", sa.Text(), nullable=True),
        sa.Column("token", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="session_pkey"),
        sa.UniqueConstraint("token", name="session_token_unique"),
        sa.ForeignKeyConstraint(["user_id"], ["auth.id"], name="session_user_id_auth_id_fk", ondelete="CASCADE"),
    )
    op.create_index("session_userId_idx", "session", ["user_id"])

    op.create_table(
        "two_factor",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("backup_codes", sa.Text(), nullable=False),
        sa.Column("secret", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="two_factor_pkey"),
        sa.ForeignKeyConstraint(["user_id"], ["auth.id"], name="two_factor_user_id_auth_id_fk", ondelete="CASCADE"),
    )
    op.create_index("twoFactor_secret_idx", "two_factor", ["secret"])
    op.create_index("twoFactor_userId_idx", "two_factor", ["user_id"])

    op.create_table(
        "verification",
        sa.Column("id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("identifier", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="verification_pkey"),
    )
    op.create_index("verification_identifier_idx", "verification", ["identifier"])

    op.create_table(
        "colleges",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("emailDomain", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("profile", sa.Text(), nullable=False, server_default=sa.text("'https://yourcdn.com/default-college-profile.png'")),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint('id', name="colleges_pkey"),
    )
    op.create_index("idx_college_city_state", "colleges", ["city", "state"])
    op.create_index("idx_college_email_domain", "colleges", ["emailDomain"])
    op.create_index("idx_college_name", "colleges", ["name"])

    op.create_table(
        "platform_user",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("auth_id", sa.Text(), nullable=False),
        sa.Column("branch", sa.Text(), nullable=True),
        sa.Column("college_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("is_accepted_terms", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("karma", sa.Integer(), nullable=True, server_default=sa.text("0")),
        sa.Column("status", enum_type("user_status"), nullable=False, server_default=sa.text("'ONBOARDING'")),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("username", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["auth_id"], ["auth.id"], name="platform_user_auth_id_auth_id_fk", ondelete="CASCADE"),
        sa.UniqueConstraint("auth_id", name="platform_user_auth_id_unique"),
        sa.ForeignKeyConstraint(["college_id"], ["colleges.id"], name="platform_user_college_id_colleges_id_fk", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint('id', name="platform_user_pkey"),
        sa.UniqueConstraint("username", name="platform_user_username_unique"),
    )

    op.create_table(
        "branches",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint('id', name="branches_pkey"),
    )
    op.create_index("idx_branch_code", "branches", ["code"])
    op.create_index("idx_branch_name", "branches", ["name"])

    op.create_table(
        "college_branches",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("branchId", sa.Uuid(), nullable=False),
        sa.Column("collegeId", sa.Uuid(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.ForeignKeyConstraint(["branchId"], ["branches.id"], name="college_branches_branchId_branches_id_fk", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["collegeId"], ["colleges.id"], name="college_branches_collegeId_colleges_id_fk", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint('id', name="college_branches_pkey"),
    )
    op.create_index("idx_college_branch_unique", "college_branches", ["collegeId", "branchId"], unique=True)
    op.create_index("idx_college_branches_branch", "college_branches", ["branchId"])
    op.create_index("idx_college_branches_college", "college_branches", ["collegeId"])

    op.create_table(
        "college_requests",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("city", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("emailDomain", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("requestedByEmail", sa.Text(), nullable=True),
        sa.Column("resolvedAt", sa.DateTime(), nullable=True),
        sa.Column("resolvedCollegeId", sa.Uuid(), nullable=True),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint('id', name="college_requests_pkey"),
        sa.ForeignKeyConstraint(["resolvedCollegeId"], ["colleges.id"], name="college_requests_resolvedCollegeId_colleges_id_fk", ondelete="SET NULL"),
    )
    op.create_index("idx_college_request_email_domain", "college_requests", ["emailDomain"])
    op.create_index("idx_college_request_status", "college_requests", ["status"])

    op.create_table(
        "posts",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("isBanned", sa.Boolean(), nullable=True, server_default=sa.text("false")),
        sa.Column("isPrivate", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("isShadowBanned", sa.Boolean(), nullable=True, server_default=sa.text("false")),
        sa.Column("postedBy", sa.Uuid(), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("topic", enum_type("topic_enum"), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("views", sa.Integer(), nullable=True, server_default=sa.text("0")),
        sa.PrimaryKeyConstraint('id', name="posts_pkey"),
        sa.ForeignKeyConstraint(["postedBy"], ["platform_user.id"], name="posts_postedBy_platform_user_id_fk", ondelete="CASCADE"),
    )
    op.create_index("posts_visibility_idx", "posts", ["isBanned", "isShadowBanned", desc_nulls_last('"createdAt"')])

    op.create_table(
        "comments",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("commentedBy", sa.Uuid(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("isBanned", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("parentCommentId", sa.Uuid(), nullable=True),
        sa.Column("postId", sa.Uuid(), nullable=False),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.ForeignKeyConstraint(["commentedBy"], ["platform_user.id"], name="comments_commentedBy_platform_user_id_fk", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parentCommentId"], ["comments.id"], name="comments_parentCommentId_comments_id_fk", ondelete="SET NULL"),
        sa.PrimaryKeyConstraint('id', name="comments_pkey"),
        sa.ForeignKeyConstraint(["postId"], ["posts.id"], name="comments_postId_posts_id_fk", ondelete="CASCADE"),
    )

    op.create_table(
        "votes",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("target_id", sa.Uuid(), nullable=False),
        sa.Column("target_type", enum_type("vote_entity_enum"), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("vote_type", enum_type("vote_type_enum"), nullable=False),
        sa.PrimaryKeyConstraint('id', name="votes_pkey"),
        sa.ForeignKeyConstraint(["user_id"], ["platform_user.id"], name="votes_user_id_platform_user_id_fk", ondelete="CASCADE"),
    )
    op.create_index("votes_target_lookup_idx", "votes", ["target_type", "target_id"])
    op.create_index("votes_user_target_unique", "votes", ["user_id", "target_type", "target_id"], unique=True)

    op.create_table(
        "bookmarks",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("createdAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("postId", sa.Uuid(), nullable=True),
        sa.Column("updatedAt", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("userId", sa.Uuid(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="bookmarks_pkey"),
        sa.ForeignKeyConstraint(["postId"], ["posts.id"], name="bookmarks_postId_posts_id_fk", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["userId"], ["platform_user.id"], name="bookmarks_userId_platform_user_id_fk", ondelete="CASCADE"),
    )
    op.create_index("bookmark_user_id_idx", "bookmarks", ["userId", "postId"])

    op.create_table(
        "notifications",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("actorUsernames", JSONB, nullable=False),
        sa.Column("content", sa.Text(), nullable=True),
        sa.Column("createdAt", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("postId", sa.Uuid(), nullable=True),
        sa.Column("receiverId", sa.Text(), nullable=False),
        sa.Column("seen", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("type", enum_type("notification_type"), nullable=False, server_default=sa.text("'general'")),
        sa.Column("updatedAt", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.PrimaryKeyConstraint('id', name="notifications_pkey"),
        sa.ForeignKeyConstraint(["postId"], ["posts.id"], name="notifications_postId_posts_id_fk"),
    )

    op.create_table(
        "content_reports",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("comment_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("post_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("reported_by", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False, server_default=sa.text("'pending'")),
        sa.Column("type", enum_type("report_type"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.ForeignKeyConstraint(["comment_id"], ["comments.id"], name="content_reports_comment_id_comments_id_fk", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint('id', name="content_reports_pkey"),
        sa.ForeignKeyConstraint(["post_id"], ["posts.id"], name="content_reports_post_id_posts_id_fk", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["reported_by"], ["platform_user.id"], name="content_reports_reported_by_platform_user_id_fk", ondelete="CASCADE"),
    )

    op.create_table(
        "feedbacks",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("user_id", sa.Uuid(), nullable=True),
        sa.PrimaryKeyConstraint('id', name="feedbacks_pkey"),
        sa.ForeignKeyConstraint(["user_id"], ["platform_user.id"], name="feedbacks_user_id_platform_user_id_fk", ondelete="SET NULL"),
    )

    op.create_table(
        "banned_words",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("severity", enum_type("moderation_severity_enum"), nullable=False),
        sa.Column("strict_mode", sa.Boolean(), nullable=False, server_default=sa.text("false")),
        sa.Column("updated_at", sa.DateTime(), nullable=False, server_default=now),
        sa.Column("word", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint('id', name="banned_words_pkey"),
        sa.UniqueConstraint("word", name="banned_words_word_unique"),
    )
    op.create_index("banned_words_strict_mode_idx", "banned_words", ["strict_mode"])
    op.create_index("banned_words_word_idx", "banned_words", ["word"])

    op.create_table(
        "user_blocks",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("blocked_id", sa.Text(), nullable=False),
        sa.Column("blocker_id", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False, server_default=now),
        sa.ForeignKeyConstraint(["blocked_id"], ["auth.id"], name="user_blocks_blocked_id_auth_id_fk", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["blocker_id"], ["auth.id"], name="user_blocks_blocker_id_auth_id_fk", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint('id', name="user_blocks_pkey"),
    )
    op.create_index("user_blocks_unique_idx", "user_blocks", ["blocker_id", "blocked_id"], unique=True)

    op.create_table(
        "logs",
        sa.Column("id", sa.Uuid(), nullable=False, server_default=uuid),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("actor_id", sa.Text(), nullable=True),
        sa.Column("actor_type", enum_type("log_role"), nullable=False),
        sa.Column("after", JSONB, nullable=True),
        sa.Column("before", JSONB, nullable=True),
        sa.Column("entity_id", sa.Text(), nullable=True),
        sa.Column("entity_type", enum_type("log_entity_type"), nullable=False),
        sa.Column("ip_address", INET, nullable=True),
        sa.Column("metadata", JSONB, nullable=True),
        sa.Column("occured_at", sa.DateTime(timezone=True), nullable=False, server_default=now),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Uuid(), nullable=True),
        sa.Column("user_agent", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint('id', name="logs_pkey"),
    )
    op.create_index("idx_audit_logs_actor", "logs", ["actor_id"])
    op.create_index("idx_audit_logs_entity", "logs", ["entity_type", "entity_id"])
    op.create_index("idx_audit_logs_occurred_at", "logs", [desc_nulls_last("occured_at")])


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
    if is_postgres():
        for name in FLICK_ENUMS:
            op.execute(f"DROP TYPE {ident(name)}")


TABLES = (
    "auth", "account", "session", "two_factor", "verification", "colleges", "platform_user",
    "branches", "college_branches", "college_requests", "posts", "comments", "votes",
    "bookmarks", "notifications", "content_reports", "feedbacks", "banned_words",
    "user_blocks", "logs",
)
