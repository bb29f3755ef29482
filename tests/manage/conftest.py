"""The back-office tests on the statistics fixture use the four network lists of the campaign
tests."""

from tests.campaigns.conftest import network  # noqa: F401 - a fixture, shared
