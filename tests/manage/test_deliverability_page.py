"""The deliverability panel on an event whose emails' fate is known: every figure, rate and
reason of the page and of its CSV and XLSX files; the sender domain's checks explained, on the
panel and in the campaign composer, read from a DNS stand-in; who may see it."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from html import unescape
from html.parser import HTMLParser

import pytest
from flask.testing import FlaskClient
from openpyxl import load_workbook

from contacts.models import Contact
from service import create_app
from service.campaigns.models import CampaignKind
from service.db import utcnow
from service.mail.models import Message, MessageStatus
from service.sending.domain_checks import forget
from service.tracking.models import ProviderEvent
from tests.campaigns.conftest import new_campaign
from tests.conftest import close_app
from tests.manage.clients import sign_in
from tests.standins.dns_server import DnsStandIn

SENT, FAILED = MessageStatus.SENT, MessageStatus.FAILED
DOMAIN = "pole-ptce.fr"
SENDGRID_DKIM = {
    f"{s}._domainkey.{DOMAIN}": {"CNAME": [f"{s}.domainkey.u1234.wl.sendgrid.net."]}
    for s in ("s1", "s2")
}


@pytest.fixture(autouse=True)
def _nothing_kept():
    """Each test asks its own DNS stand-in (a port of an earlier one may come back)."""
    forget()


def known_fates(db, factory) -> dict[str, int]:
    """A follow-up (8 sent, 2 failed, 2 bounced, 1 dropped, 1 spam report, 1 unsubscribe), a
    reminder (4 sent, nothing back), the event's own emails (3 sent, 1 bounced), and another
    event's bounce that must count nowhere here."""
    event_id = factory.event()
    other_event = factory.event(title="Une autre rencontre")
    ids = {
        "event": event_id,
        "follow_up": new_campaign(db, event_id, CampaignKind.FOLLOW_UP),
        "reminder": new_campaign(db, event_id, CampaignKind.REMINDER),
    }
    elsewhere = new_campaign(db, other_event, CampaignKind.REMINDER)
    now = utcnow()
    with db.transaction() as session:
        people = [Contact(email=f"p{n:02d}@example.org") for n in range(10)]
        session.add_all(people)
        session.flush()

        def message(campaign_id, n, status=SENT, error="", event=event_id) -> int:
            row = Message(
                key=f"test:{campaign_id or 'own'}:{event}:{n}", template="invitation",
                event_id=event, contact_id=people[n].id, campaign_id=campaign_id, status=status,
                last_error=error, sent_at=now if status is SENT else None,
            )  # fmt: skip
            session.add(row)
            session.flush()
            return row.id

        def happened(message_id: int, kind: str, reason: str = "", detail: str = "") -> None:
            session.add(ProviderEvent(
                sg_event_id=f"{message_id}-{kind}-{len(session.new)}", message_id=message_id,
                event=kind, occurred_at=now, reason=reason, detail=detail,
            ))  # fmt: skip

        follow_up = [message(ids["follow_up"], n) for n in range(8)]
        for n in (8, 9):
            rejected = f"550 5.1.1 <p{n:02d}@example.org>: Recipient address rejected"
            message(ids["follow_up"], n, FAILED, rejected)
        for m in follow_up[2:]:
            happened(m, "delivered")
        for m in (follow_up[0], follow_up[0], follow_up[1]):  # the first bounced twice: once
            happened(m, "bounce", f"550 5.1.1 <p{m % 100}@example.org> user unknown", "bounce")
        happened(follow_up[2], "dropped", "Bounced Address")
        happened(follow_up[3], "spamreport")
        happened(follow_up[4], "unsubscribe")
        happened(follow_up[4], "group_unsubscribe")  # the same person's no
        happened(follow_up[5], "deferred", "421 try again later")
        happened(follow_up[5], "open")
        for n in range(4):
            message(ids["reminder"], n)
        own = [message(None, n) for n in range(3)]
        happened(own[0], "bounce", "", "blocked")
        happened(message(elsewhere, 0, event=other_event), "bounce", "552 mailbox full")
    return ids


def text(html: str) -> str:
    """Markup's text, entities decoded and spaces (no-break ones too) made one."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


class _Tables(HTMLParser):
    """Each table of a page by its caption: its rows, each a list of its cells' text."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._caption = []
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("th", "td"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("th", "td") and self._cell is not None:
            self._rows[-1].append(" ".join(" ".join(self._cell).split()))
            self._cell = None
        elif tag == "table":
            self.tables[" ".join(" ".join(self._caption or []).split())] = self._rows
            self._caption, self._rows = None, []

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        elif self._caption is not None:
            self._caption.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    """The page's tables by caption, each row as its cells' text."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def plain(value: object) -> object:
    """A spreadsheet cell as a number when it reads as one (written as a number or as text)."""
    try:
        return float(str(value))
    except ValueError:
        return "" if value is None else value


def signed_in(client: FlaskClient, factory, role: str, events: tuple[int, ...] = ()):
    """`client` signed in to a new account of `role` (named after it)."""
    email = f"{role}@example.org"
    sign_in(client, email, factory.user(email, role, events))
    return client


FIGURES = "Par campagne, puis les emails de l’événement lui-même"
OWN = "Emails de l’événement (confirmations, liste d’attente, places proposées)"


def test_the_panel_counts_each_campaign_and_the_events_own_emails(db, factory, client):
    ids = known_fates(db, factory)
    page = signed_in(client, factory, "comms").get(f"/manage/events/{ids['event']}/deliverability")
    assert page.status_code == 200
    shown = tables(page.text)
    follow_up = f"Relance des personnes sans réponse n° {ids['follow_up']}"
    reminder = f"Rappel aux personnes inscrites n° {ids['reminder']}"
    # sent, failed (over sent or failed), bounced, dropped, spam reports, unsubscribes
    assert shown[FIGURES] == [
        ["Campagne", "Envoyés", "En échec", "Rebonds", "Rejetés par SendGrid",
         "Signalements de spam", "Désinscriptions"],
        [follow_up, "8", "2 20 %", "2 25 %", "1 12,5 %", "1 12,5 %", "1 12,5 %"],
        [reminder, "4", "0 0 %", "0 0 %", "0 0 %", "0 0 %", "0 0 %"],
        [OWN, "3", "0 0 %", "1 33,3 %", "0 0 %", "0 0 %", "0 0 %"],
        ["Total", "15", "2 11,8 %", "3 20 %", "1 6,7 %", "1 6,7 %", "1 6,7 %"],
    ]  # fmt: skip
    assert shown[follow_up] == [
        ["Type", "Raison", "Emails"],
        ["Échec d’envoi", "550 5.1.1 <…>: Recipient address rejected", "2"],
        ["Rebond", "550 5.1.1 <…> user unknown", "2"],
        ["Rejeté par SendGrid", "Bounced Address", "1"],
    ]
    assert shown[OWN] == [["Type", "Raison", "Emails"], ["Rebond", "blocked", "1"]]
    assert reminder not in shown  # nothing to explain
    assert not re.search(r"p\d\d@example", page.text)  # the providers' reasons are masked
    assert "ne s’appliquent pas à localhost" in text(page.text)  # the tests' MAIL_FROM


def test_the_files_hold_the_same_figures(db, factory, client):
    ids = known_fates(db, factory)
    signed_in(client, factory, "comms")
    path = f"/manage/events/{ids['event']}/deliverability"
    as_csv = client.get(f"{path}.csv")
    assert as_csv.status_code == 200
    assert as_csv.mimetype == "text/csv"
    assert "delivrabilite.csv" in as_csv.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:5] == ["Campagne", "Objet", "Envoyés", "En échec", "Taux d’échec (%)"]
    assert rows[0][-1] == "Raisons les plus fréquentes"
    follow_up = f"Relance des personnes sans réponse n° {ids['follow_up']}"
    assert rows[1] == [
        follow_up, "", "8", "2", "20", "2", "25", "1", "12,5", "1", "12,5", "1", "12,5",
        "Échec d’envoi : 550 5.1.1 <…>: Recipient address rejected (2); "
        "Rebond : 550 5.1.1 <…> user unknown (2); Rejeté par SendGrid : Bounced Address (1)",
    ]  # fmt: skip
    assert rows[3][:6] == [OWN, "", "3", "0", "0", "1"]
    assert rows[4][:13] == ["Total", "", "15", "2", "11,8", "3", "20", "1", "6,7", "1", "6,7",
                            "1", "6,7"]  # fmt: skip
    as_xlsx = client.get(f"{path}.xlsx")
    assert as_xlsx.status_code == 200
    sheet = load_workbook(io.BytesIO(as_xlsx.data)).active
    cells = [[plain(v) for v in row] for row in sheet.iter_rows(values_only=True)]
    assert cells[1][:13] == [follow_up, "", 8, 2, 20, 2, 25, 1, 12.5, 1, 12.5, 1, 12.5]
    assert cells[4][:5] == ["Total", "", 15, 2, 11.8]


def test_comms_sees_the_panel_a_door_account_does_not(db, factory, client):
    ids = known_fates(db, factory)
    path = f"/manage/events/{ids['event']}/deliverability"
    signed_in(client, factory, "door", (ids["event"],))
    assert client.get(path).status_code == 403
    assert client.get(f"{path}.csv").status_code == 403
    organiser = signed_in(client.application.test_client(), factory, "organiser")
    assert organiser.get(path).status_code == 200
    assert organiser.get(f"/manage/events/{ids['event'] + 1000}/deliverability").status_code == 404


@contextmanager
def asking(settings, dns_server: tuple[str, int]) -> Iterator[FlaskClient]:
    """A client of the app sending from pole-ptce.fr, its DNS questions asked of `dns_server`."""
    configured = replace(settings, mail_from=f"Convier <convier@{DOMAIN}>",
                         dns_nameserver="{}:{}".format(*dns_server))  # fmt: skip
    application = create_app(configured)
    application.config["TESTING"] = True
    try:
        yield application.test_client()
    finally:
        close_app(application)


def test_the_panel_explains_what_the_domain_lacks(db, factory, settings):
    event_id = factory.event()
    spf = "v=spf1 mx include:_spf.google.com -all"
    with (
        DnsStandIn({DOMAIN: {"TXT": [spf]}} | SENDGRID_DKIM) as dns,
        asking(settings, dns.address) as client,
    ):
        page = signed_in(client, factory, "comms").get(f"/manage/events/{event_id}/deliverability")
    shown = text(page.text)
    assert "Domaine d’envoi : pole-ptce.fr" in shown
    assert "SPF (serveurs autorisés) : Incomplet" in shown
    assert ("Demandez à l’administrateur du domaine d’ajouter « include:sendgrid.net » à cet "
            "enregistrement") in shown  # fmt: skip
    assert f"{DOMAIN} → {spf}" in shown  # the record found
    assert "DKIM (signature des emails) : En place" in shown
    assert "DMARC (politique du domaine) : Absent" in shown
    assert f"publier sur _dmarc.{DOMAIN} l’enregistrement TXT « v=DMARC1; p=none »" in shown


def test_a_dns_server_that_refuses_still_leaves_a_panel(db, factory, settings):
    event_id = factory.event()
    with DnsStandIn({}, refusing=True) as dns, asking(settings, dns.address) as client:
        page = signed_in(client, factory, "comms").get(f"/manage/events/{event_id}/deliverability")
    assert page.status_code == 200
    assert text(page.text).count(": Vérification impossible") == 3
    assert "le serveur DNS n’a pas répondu à temps" in text(page.text)


def test_the_composer_shows_the_domain_checks(db, factory, settings, client):
    password = factory.user("orga@example.org", "organiser")

    def composer_page(browser: FlaskClient):
        sign_in(browser, "orga@example.org", password)
        return browser.get("/manage/campaigns/new")

    page = composer_page(client)
    assert "ne s’appliquent pas à localhost" in text(page.text)
    dmarc = {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=none"]}}
    set_up = {DOMAIN: {"TXT": ["v=spf1 include:sendgrid.net ~all"]}} | SENDGRID_DKIM | dmarc
    with DnsStandIn(set_up) as dns, asking(settings, dns.address) as composer:
        shown = text(composer_page(composer).text)
    assert "SPF, DKIM et DMARC sont en place" in shown
    forget()
    with (
        DnsStandIn(set_up | {f"_dmarc.{DOMAIN}": {}}) as dns,
        asking(settings, dns.address) as composer,
    ):
        page = composer_page(composer)
    shown = text(page.text)
    assert page.status_code == 200
    assert "DMARC (politique du domaine) : Absent" in shown
    assert f"publier sur _dmarc.{DOMAIN}" in shown
    assert "SPF (serveurs autorisés) : En place" in shown
    assert "Le domaine autorise SendGrid" not in shown  # compact: only what needs doing
    assert "Nouvelle campagne" in shown
