"""Emails: rendering, the outbox, and delivery through a backend (file, SMTP or SendGrid)."""
