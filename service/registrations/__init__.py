"""Invitations, registrations, the waitlist and the public registration pages."""
