"""The deliverability panel in a real browser (Debian's chromium) against the app under gunicorn,
its sender domain read from a DNS stand-in: axe-core finds nothing wrong with its tables and
its checks, and the composer showing the checks passes too."""

from __future__ import annotations

import pytest

from tests.browsers import axe_violations, wait_for_text
from tests.conftest import TEST_ENV
from tests.manage.test_deliverability_page import DOMAIN, SENDGRID_DKIM, known_fates
from tests.servers import live_server
from tests.standins.dns_server import DnsStandIn

pytestmark = pytest.mark.slow


def test_the_panel_and_the_composer_pass_axe(db, factory, open_browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    ids = known_fates(db, factory)
    password = factory.user("comms@example.org", "comms")
    organiser = factory.user("orga@example.org", "organiser")
    records = {DOMAIN: {"TXT": ["v=spf1 mx -all"]}} | SENDGRID_DKIM
    with DnsStandIn(records) as dns:
        env = {**TEST_ENV, "MAIL_FROM": f"Convier <convier@{DOMAIN}>",
               "DNS_NAMESERVER": "{}:{}".format(*dns.address)}  # fmt: skip
        with live_server(env=env) as base:
            for email, secret, path, heading in (
                ("comms@example.org", password, f"/manage/events/{ids['event']}/deliverability",
                 "Délivrabilité des emails"),
                ("orga@example.org", organiser, "/manage/campaigns/new", "Nouvelle campagne"),
            ):  # fmt: skip
                browser = open_browser(email)
                browser.get(base + path)
                browser.find_element(By.ID, "email").send_keys(email)
                browser.find_element(By.ID, "password").send_keys(secret, Keys.ENTER)
                wait_for_text(browser, "h1", heading)
                shown = browser.find_element(By.ID, "domain-checks-heading").text
                assert shown == f"Domaine d’envoi : {DOMAIN}"
                assert "Absent" in browser.find_element(By.CSS_SELECTOR, ".check.missing").text
                assert axe_violations(browser) == [], path
