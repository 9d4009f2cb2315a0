"""Moderating as a team: one-click revert, four-eyes proposals, saved views, scopes."""
