"""Staff accounts, managed by superadmins."""
