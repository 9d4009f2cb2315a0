"""Moderation of posts, comments, reports and users."""
