"""Back-office accounts: users, their roles, signing in, and the audit log."""
