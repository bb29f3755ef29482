"""Partner report links from the back office: created and revoked per network list."""
