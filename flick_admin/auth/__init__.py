"""Staff sign-in, sessions, password format and permissions."""
