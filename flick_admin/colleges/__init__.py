"""Colleges, branches, college requests and banned words."""
