"""The organiser's JSON API under /api/v1, with bearer tokens."""
