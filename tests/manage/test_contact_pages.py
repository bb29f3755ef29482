"""The contact book in the back office: the lists with their sizes and suppressed members, a
list's members found by a search, a contact's file; editing, taking off a list, suppressing,
downloading and erasing a contact, each change in the audit log."""

from __future__ import annotations

import json
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from sqlalchemy import select

from contacts.imports import import_contacts
from contacts.models import Contact, MailingList, Membership, SuppressionReason
from contacts.suppression import is_suppressed, suppress
from service.audit.models import AuditEntry
from service.registrations import services
from service.registrations.models import Invitation
from tests.helpers import act
from tests.manage.clients import csrf_token, sign_in
from tests.manage.test_list_import import SAMPLES


@pytest.fixture
def book(db, settings):
    """The CNCRES sample list: 36 contacts."""
    import_contacts(db, settings, SAMPLES / "cncres.csv", "CNCRES")
    with db.transaction(write=False) as session:
        list_id = session.scalar(select(MailingList.id))
        claire = session.scalar(select(Contact).where(Contact.email == "c.dupont@example.fr"))
        return list_id, claire.id


def contact_of(db, invitation_id: int) -> int:
    with db.transaction(write=False) as session:
        return session.get(Invitation, invitation_id).contact_id


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


def test_the_lists_page_counts_members_and_suppressed_addresses(db, settings, book, organiser):
    with db.transaction() as session:
        suppress(session, settings, "c.dupont@example.fr", SuppressionReason.UNSUBSCRIBED)
        suppress(session, settings, "nobody@example.org", SuppressionReason.MANUAL)
    page = unescape(organiser.get("/manage/lists").text)
    row = page.split(">CNCRES</a>")[1].split("</tr>")[0]
    with db.transaction(write=False) as session:  # imported by the CLI's service: dated too
        imported_at = session.scalar(select(MailingList.imported_at))
    day = imported_at.astimezone(ZoneInfo("Europe/Paris"))
    assert f"<td>{format_date(day, 'd MMM y', locale='fr')}</td>" in row
    assert '<td class="number">36</td>' in row
    assert '<td class="number">1</td>' in row
    suppressed = unescape(organiser.get("/manage/suppressions").text)
    assert "2 adresses bloquées" in suppressed
    assert "désinscription" in suppressed
    assert "dupont" not in suppressed  # only hashes are kept


def test_a_list_is_searched_and_paged(db, book, organiser):
    list_id, _ = book
    page = unescape(organiser.get(f"/manage/lists/{list_id}").text)
    assert "36 contacts trouvés" in page
    assert "la page 1 sur" not in page  # one page: no pager
    found = organiser.get(f"/manage/lists/{list_id}?q=C.DUPONT@", headers={"HX-Request": "true"})
    assert "<html" not in found.text  # the table alone, for htmx
    assert "1 contact trouvé" in found.text
    assert "c.dupont@example.fr" in found.text
    assert 'aria-live="polite">0 contact' in organiser.get(f"/manage/lists/{list_id}?q=%25_").text
    for page_number in ("x", "²", "0"):  # a page that is no number shows the first
        assert organiser.get(f"/manage/lists/{list_id}?page={page_number}").status_code == 200
    assert organiser.get("/manage/lists/999").status_code == 404


def test_a_contact_shows_its_lists_invitations_and_emails(db, factory, book, organiser):
    _, contact_id = book
    event_id = factory.event(title="Rencontre des PTCE")
    invitee = factory.invitees(event_id, 1)[0]
    act(db, invitee.invitation_id, services.register, {})
    page = unescape(organiser.get(f"/manage/contacts/{contact_id}").text)
    assert "Claire Dupont" in page
    assert "CNCRES" in page
    assert "cncres.csv" in page
    assert "Jamais invité·e." in page
    other = unescape(
        organiser.get(f"/manage/contacts/{contact_of(db, invitee.invitation_id)}").text
    )
    assert "Rencontre des PTCE" in other
    assert "Confirmé" in other
    assert "confirmation" in other  # the confirmation email, queued


def test_editing_a_contact_checks_each_field(db, book, organiser):
    _, contact_id = book
    url = f"/manage/contacts/{contact_id}"
    form = {
        "csrf_token": csrf_token(organiser, url), "first_name": "Claire", "last_name": "Dupont",
        "organisation": "CRESS HDF", "role": "", "region": "", "phone": "", "language": "en",
    }  # fmt: skip
    assert organiser.post(url, data=form).status_code == 302
    assert "Les modifications sont enregistrées." in unescape(organiser.get(url).text)
    bad = organiser.post(url, data={**form, "organisation": "x" * 301})
    assert bad.status_code == 422
    assert "Organisation : Une ligne, pas trop longue." in unescape(bad.text)
    bad = organiser.post(url, data={**form, "language": "de"})
    assert "Langue : Choisissez le français ou l’anglais." in unescape(bad.text)
    with db.transaction(write=False) as session:
        contact = session.get(Contact, contact_id)
        assert (contact.organisation, contact.language) == ("CRESS HDF", "en")
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "contact.edited"))
        assert entry.details == {"fields": ["language", "organisation", "region", "role"]}
        assert entry.subject == f"contact {contact_id}"  # no address in the log


def test_taking_a_contact_off_a_list_asks_first(db, book, organiser):
    list_id, contact_id = book
    url = f"/manage/contacts/{contact_id}/lists/{list_id}/remove"
    assert "Retirer de la liste CNCRES" in unescape(organiser.get(url).text)
    with db.transaction(write=False) as session:
        assert session.scalar(select(Membership).where(Membership.contact_id == contact_id))
    assert organiser.post(url, data={"csrf_token": csrf_token(organiser, url)}).status_code == 302
    with db.transaction(write=False) as session:
        assert not session.scalar(select(Membership).where(Membership.contact_id == contact_id))


def test_suppressing_then_erasing_a_contact(db, settings, factory, organiser, book):
    event_id = factory.event(title="Rencontre à une place", capacity=1)
    first, second = factory.invitees(event_id, 2)
    for person in (first, second):
        act(db, person.invitation_id, services.register, {})
    first_id, second_id = (contact_of(db, p.invitation_id) for p in (first, second))
    base = f"/manage/contacts/{first_id}"
    page = unescape(organiser.get(f"{base}/suppress").text)
    assert "Plus aucune campagne ne lui écrira" in page
    organiser.post(f"{base}/suppress", data={"csrf_token": csrf_token(organiser, base)})
    held = json.loads(organiser.get(f"{base}/export").data)
    assert held["suppression"] == {
        "suppressed": True,
        "reason": "manual",
        "since": held["suppression"]["since"],
    }
    assert held["registrations"][0]["status"] == "confirmed"
    email = held["email"]

    assert "C’est définitif." in unescape(organiser.get(f"{base}/erase").text)
    answer = organiser.post(f"{base}/erase", data={"csrf_token": csrf_token(organiser, base)})
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        contact = session.get(Contact, first_id)
        assert contact.email.endswith("@erased.invalid")
        assert contact.first_name == ""
        assert is_suppressed(session, settings, email)
        actions = session.scalars(select(AuditEntry.action)).all()
        assert {"contact.suppressed", "contact.erased"} <= set(actions)
    # Their seat is offered to the person waiting.
    assert "Place proposée" in unescape(organiser.get(f"/manage/contacts/{second_id}").text)


def test_a_comms_account_reads_the_book_and_changes_nothing(db, book, client, factory):
    _, contact_id = book
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    assert client.get("/manage/lists").status_code == 200
    assert "Importer un fichier" not in client.get("/manage/lists").text
    page = client.get(f"/manage/contacts/{contact_id}")
    assert page.status_code == 200
    assert "Modifier" not in page.text
    assert client.get(f"/manage/contacts/{contact_id}/export").status_code == 403
