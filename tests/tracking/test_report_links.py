"""Partner report links on the statistics fixture: a network sees its own list's figures at the
event and nothing personal; a link opens nothing once altered, moved to another list, revoked
or expired; `convier report` creates, lists and revokes them."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import replace
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from contacts.models import MailingList
from service.audit.models import AuditEntry
from service.cli import main
from service.db import utcnow
from service.errors import Invalid, NotFound
from service.tracking import report_links
from service.tracking.models import ReportLink
from service.tracking.report_links import ReportLinkGone, ReportLinkRefused
from tests.campaigns.conftest import PEOPLE, email
from tests.tracking.test_stats import _setup

BASE = "http://127.0.0.1:5000"
ROW = re.compile(r'<th scope="row">([^<]+)</th><td class="number">([^<]+)</td>')
LABELS = (
    "Personnes invitées", "Invitations envoyées", "Invitations remises", "Adresses en erreur",
    "Ont ouvert l’invitation", "Ont cliqué sur un lien", "Inscrites", "Ont décliné",
    "Ont répondu par email", "Se sont désabonnées",
)  # fmt: skip


def list_ids(db) -> dict[str, int]:
    with db.transaction(write=False) as session:
        return dict(session.execute(select(MailingList.name, MailingList.id)).all())


def new_link(db, settings, event_id: int, list_id: int, days: object = 30) -> tuple[int, str]:
    """A report link made through the service: its id and its path on the site."""
    with db.transaction() as session:
        link, url = report_links.create(session, settings, event_id, list_id, days, "tests")
        return link.id, url.removeprefix(BASE)


def figures(page: str) -> dict[str, str]:
    from html import unescape

    return {unescape(label): unescape(value) for label, value in ROW.findall(page)}


@pytest.fixture
def fixture(db, settings, factory, network) -> tuple[int, dict[str, int]]:
    """The statistics fixture's event and the ids of its four lists."""
    return _setup(db, settings, factory), list_ids(db)


def test_the_report_shows_the_lists_own_figures_and_nothing_personal(db, settings, client, fixture):
    event_id, lists = fixture
    _, path = new_link(db, settings, event_id, lists["CNCRES"])
    answer = client.get(path)
    assert answer.status_code == 200
    page = answer.text
    # invited, sent, delivered, bounced, opened, clicked, registered, declined, replied,
    # unsubscribed: people 0-9 of the fixture (tests/tracking/test_stats.py)
    shown = figures(page)
    assert [shown[label] for label in LABELS] == ["10", "9", "8", "1", "3", "1", "2", "1", "1", "1"]
    assert shown["Taux de réponse"] == "50\xa0%"  # 4 answers among 8 delivered
    assert "CNCRES" in page
    assert "COORACE" not in page
    for number in range(PEOPLE):
        assert email(number) not in page
        assert f"Personne {number}<" not in page
        assert f"Personne {number} " not in page
    assert "@" not in page
    assert "compte dans chacune" in page  # a person on several lists counts in each
    assert "ne sont pas comptés" in page  # machine opens and scanner clicks left out
    assert answer.headers["Referrer-Policy"] == "no-referrer"
    assert answer.headers["X-Robots-Tag"] == "noindex"
    assert answer.headers["Cache-Control"] == "no-store"
    assert 'href="?lang=en"' in page  # the language switch of the public pages


def test_each_list_sees_its_own_figures(db, settings, client, fixture):
    event_id, lists = fixture
    _, path = new_link(db, settings, event_id, lists["COORACE"])
    shown = figures(client.get(path).text)
    # people 5-14: nobody opened, clicked or registered; 9 bounced, 8 unsubscribed, 5 wrote back
    assert [shown[label] for label in LABELS] == ["10", "9", "8", "1", "0", "0", "0", "0", "1", "1"]
    assert shown["Taux de réponse"] == "12,5\xa0%"


def test_a_list_nobody_was_invited_from_shows_zeros(db, settings, client, fixture):
    event_id, _ = fixture
    with db.transaction() as session:
        quiet = MailingList(name="REPAS", network="REPAS")
        session.add(quiet)
        session.flush()
        quiet_id = quiet.id
    _, path = new_link(db, settings, event_id, quiet_id)
    shown = figures(client.get(path).text)
    assert {shown[label] for label in LABELS} == {"0"}
    assert shown["Taux de réponse"] == "0\xa0%"


def test_the_csv_gives_the_same_figures(db, settings, client, fixture):
    event_id, lists = fixture
    _, path = new_link(db, settings, event_id, lists["CNCRES"])
    answer = client.get(path + ".csv")
    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert answer.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(answer.data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1
    row = rows[0]
    assert [row[label] for label in LABELS] == ["10", "9", "8", "1", "3", "1", "2", "1", "1", "1"]
    assert (row["Liste"], row["Taux de réponse (%)"]) == ("CNCRES", "50")
    assert "@" not in answer.data.decode("utf-8-sig")


def test_a_token_opened_under_another_lists_id_is_refused(db, settings, client, fixture):
    event_id, lists = fixture
    _, path = new_link(db, settings, event_id, lists["CNCRES"])
    token = path.rsplit("/", 1)[1]
    for url in (f"/report/{lists['MES']}/{token}", f"/report/{lists['MES']}/{token}.csv"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Ce lien de rapport n’existe pas" in answer.text
        assert "Personnes invitées" not in answer.text
        assert answer.headers["Referrer-Policy"] == "no-referrer"


def test_an_altered_or_foreign_token_is_refused(db, settings, client, fixture):
    event_id, lists = fixture
    link_id, path = new_link(db, settings, event_id, lists["CNCRES"])
    prefix, token = path.rsplit("/", 1)
    # One character of the claim changed (the signature's last one may only hold padding bits).
    altered = f"{prefix}/{token[:5]}{'A' if token[5] != 'A' else 'B'}{token[6:]}"
    other_keys = replace(settings, secret_key="another-secret-key-0123456789abcdef")
    with db.transaction(write=False) as session:
        link = session.get(ReportLink, link_id)
        foreign = report_links.url_of(other_keys, link).removeprefix(BASE)
        # Signed by us, but naming a row that is not there.
        ghost = ReportLink(id=link_id + 1, event_id=event_id, list_id=lists["CNCRES"], nonce="x")
        unknown = report_links.url_of(settings, ghost).removeprefix(BASE)
    for url in (altered, foreign, unknown, f"/report/{lists['CNCRES']}/nonsense"):
        answer = client.get(url)
        assert answer.status_code == 404, url
        assert "Ce lien de rapport n’existe pas" in answer.text
    assert client.get(path).status_code == 200  # the real one still opens


def test_a_revoked_link_is_refused_at_once_and_audited(db, settings, client, fixture):
    event_id, lists = fixture
    link_id, path = new_link(db, settings, event_id, lists["CNCRES"])
    assert client.get(path).status_code == 200
    with db.transaction() as session:
        report_links.revoke(session, link_id, "orga@example.org")
    for url in (path, path + ".csv"):
        answer = client.get(url)
        assert answer.status_code == 410, url
        assert "Ce lien de rapport a été révoqué" in answer.text
    with db.transaction() as session:  # revoking again changes nothing
        first = session.get(ReportLink, link_id).revoked_at
        assert report_links.revoke(session, link_id, "autre@example.org").revoked_at == first
    with db.transaction(write=False) as session:
        rows = session.execute(
            select(AuditEntry.actor, AuditEntry.action, AuditEntry.event_id, AuditEntry.subject)
            .where(AuditEntry.action.startswith("report_link"))
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(row) for row in rows] == [
        ("tests", "report_link.created", event_id, "CNCRES"),
        ("orga@example.org", "report_link.revoked", event_id, "CNCRES"),
    ]


def test_an_expired_link_is_refused(db, settings, client, fixture):
    event_id, lists = fixture
    link_id, path = new_link(db, settings, event_id, lists["CNCRES"], days=1)
    token = path.rsplit("/", 1)[1]
    with db.transaction(write=False) as session:
        link = session.get(ReportLink, link_id)
        expiry = link.expires_at
        assert timedelta(hours=23) < expiry - utcnow() <= timedelta(days=1)
        assert report_links.read(session, settings, token, lists["CNCRES"], expiry - timedelta(
            seconds=1)).id == link_id  # fmt: skip
        with pytest.raises(ReportLinkGone):
            report_links.read(session, settings, token, lists["CNCRES"], expiry)
    with db.transaction() as session:
        session.execute(
            update(ReportLink)
            .where(ReportLink.id == link_id)
            .values(expires_at=utcnow() - timedelta(minutes=1))
        )
    answer = client.get(path)
    assert answer.status_code == 410
    assert "Ce lien de rapport a expiré" in answer.text


def test_a_link_signed_with_a_former_key_still_opens(db, settings, fixture):
    event_id, lists = fixture
    link_id, _ = new_link(db, settings, event_id, lists["CNCRES"])
    rotated = replace(
        settings,
        secret_key="the-next-secret-key-0123456789abcd",
        secret_keys_old=(settings.secret_key,),
    )
    with db.transaction(write=False) as session:
        link = session.get(ReportLink, link_id)
        old_token = report_links.token_of(settings, link)
        new_token = report_links.token_of(rotated, link)
        assert old_token != new_token
        for token in (old_token, new_token):
            assert report_links.read(session, rotated, token, lists["CNCRES"]).id == link_id
        with pytest.raises(ReportLinkRefused):
            report_links.read(session, settings, new_token, lists["CNCRES"])


@pytest.mark.parametrize("days", ["0", "367", "-3", "trente", "", "2.5"])
def test_the_validity_is_a_whole_number_of_days(days):
    with pytest.raises(Invalid) as refused:
        report_links.validity(days)
    assert list(refused.value.fields) == ["days"]


def test_a_link_for_an_unknown_event_or_list_is_refused(db, settings, fixture):
    event_id, lists = fixture
    with db.transaction() as session, pytest.raises(NotFound) as refused:
        report_links.create(session, settings, event_id + 1000, lists["CNCRES"])
    assert refused.value.fields == {"event": f"no event with id {event_id + 1000}"}
    with db.transaction() as session, pytest.raises(NotFound) as refused:
        report_links.create(session, settings, event_id, 9999)
    assert refused.value.fields == {"list": "no list with id 9999"}
    with db.transaction(write=False) as session:
        assert session.scalars(select(ReportLink)).all() == []


def run(*args: str, ok: bool = True) -> str:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    assert (result.exit_code == 0) is ok, result.output
    return result.output


def test_the_report_commands_create_list_and_revoke(db, settings, client, fixture):
    event_id, lists = fixture
    made = run("report", "link", "--event", str(event_id), "--list", "CNCRES", "--days", "7")
    heading, url = made.strip().splitlines()
    found = re.fullmatch(
        rf"report link (\d+) for CNCRES at event {event_id}, valid until .+", heading
    )
    assert found is not None, heading
    first = found.group(1)
    assert url.startswith(f"{BASE}/report/{lists['CNCRES']}/")
    assert client.get(url.removeprefix(BASE)).status_code == 200
    run("report", "link", "--event", str(event_id), "--list", "MES")
    listed = [
        line.split("\t") for line in run("report", "list", "--event", str(event_id)).splitlines()
    ]
    assert [(cells[1], cells[4]) for cells in listed] == [("MES", "live"), ("CNCRES", "live")]
    assert listed[1][0] == first
    assert listed[1][5] == url  # the live link's address, shown again to send it again
    with db.transaction(write=False) as session:
        link = session.get(ReportLink, int(first))
        assert link.expires_at - link.created_at == timedelta(days=7)
        assert link.created_by == "cli"
    assert f"report link {first} revoked" in run("report", "revoke", first)
    listed = [
        line.split("\t") for line in run("report", "list", "--event", str(event_id)).splitlines()
    ]
    assert listed[1][4:] == ["revoked", "-"]
    assert client.get(url.removeprefix(BASE)).status_code == 410


def test_the_report_commands_name_the_parameter_at_fault(db, settings, fixture):
    event_id, _ = fixture
    link = ("report", "link", "--event")
    assert "--event: no event with id 999" in run(*link, "999", "--list", "CNCRES", ok=False)
    assert "--list: no list called 'NOPE'" in run(*link, str(event_id), "--list", "NOPE", ok=False)
    for days in ("0", "400"):
        refused = run(*link, str(event_id), "--list", "CNCRES", "--days", days, ok=False)
        assert "--days: a whole number of days from 1 to 366" in refused
    assert "--event: no event with id 999" in run("report", "list", "--event", "999", ok=False)
    assert "no report link with id 999" in run("report", "revoke", "999", ok=False)
    with db.transaction(write=False) as session:
        assert session.scalars(select(ReportLink)).all() == []
        assert (
            session.scalars(
                select(AuditEntry).where(AuditEntry.action.startswith("report_link"))
            ).all()
            == []
        )
