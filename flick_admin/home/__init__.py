"""The home page: the overview of the moderation work."""
