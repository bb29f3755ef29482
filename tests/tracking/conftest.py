"""The tracking tests use the four overlapping network lists of the campaign tests."""

from tests.campaigns.conftest import network  # noqa: F401 - a fixture, shared
