"""Feedback students send from Flick: review, dismiss, delete."""
