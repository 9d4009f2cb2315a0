"""The catalogue of removal reasons: admins keep it, moderators choose from it."""
