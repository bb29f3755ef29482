"""The campaign pages of the back office: the composer (refusals on their fields, a draft saved),
the launch through a page naming the audience, pause, resume and cancel, the live progress with
the failed emails, the rules of an event, the email previewed in French and English as the
backend builds it, a test sent to oneself; a comms account sees it all and changes nothing."""

from __future__ import annotations

import re
import shutil
from datetime import timedelta
from email import policy
from email.parser import BytesParser
from html import unescape
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select, update

from contacts.models import Contact, MailingList, Membership, SuppressionReason
from contacts.suppression import suppress
from service.audit.models import AuditEntry
from service.campaigns import rules, services
from service.campaigns.models import Campaign, CampaignKind, CampaignRule, CampaignState, RuleState
from service.db import utcnow
from service.mail.models import Message, MessageStatus
from service.registrations.models import Invitation
from tests.conftest import VAR_DIR
from tests.manage.clients import csrf_token, sign_in

OUTBOX = VAR_DIR / "outbox"
S = CampaignState
COMPOSED = {
    "kind": "invitation", "lists": ["CNCRES", "RTES"], "subject": "Rencontre des PTCE",
    "sender_name": "Le Labo de l'ESS", "note": "Venez nombreux.", "note_en": "Do come.",
    "access": "Métro ligne 8, station Lourmel.", "resources_url": "https://example.org/docs",
}  # fmt: skip


@pytest.fixture
def lists(db, settings) -> dict[str, int]:
    """Two lists sharing one person; four people in all, one unsubscribed, one English."""
    with db.transaction() as session:
        people = [
            Contact(email="alice@example.org", first_name="Alice", last_name="Martin"),
            Contact(email="bob@example.org", first_name="Bob", language="en"),
            Contact(email="chloe@example.org", first_name="Chloé"),
            Contact(email="parti@example.org", first_name="Parti"),
        ]
        session.add_all(people)
        made = {}
        for name, members in (("CNCRES", people[:3]), ("RTES", people[2:])):
            mailing_list = MailingList(name=name, network=name)
            session.add(mailing_list)
            session.flush()
            session.add_all(
                Membership(list_id=mailing_list.id, contact_id=c.id, source="t") for c in members
            )
            made[name] = mailing_list.id
        suppress(session, settings, "parti@example.org", SuppressionReason.UNSUBSCRIBED)
    return made


@pytest.fixture
def organiser(client, factory):
    sign_in(client, "orga@example.org", factory.user("orga@example.org", "organiser"))
    return client


@pytest.fixture
def comms(client, factory):
    sign_in(client, "comms@example.org", factory.user("comms@example.org", "comms"))
    return client


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    shutil.rmtree(OUTBOX, ignore_errors=True)


def post(client, path: str, form: dict | None = None, page: str | None = None):
    """POST `form` with the CSRF token of the page `page` (default: the back office's home)."""
    data = {**(form or {}), "csrf_token": csrf_token(client, page or "/manage/")}
    return client.post(path, data=data)


def draft(db, event_id: int, **fields) -> int:
    fields.setdefault("lists", ["CNCRES", "RTES"])
    with db.transaction() as session:
        spec = services.CampaignSpec(event_id=event_id, kind=CampaignKind.INVITATION, **fields)
        return services.create(session, spec).id


def state(db, campaign_id: int) -> CampaignState:
    with db.transaction(write=False) as session:
        return services.get(session, campaign_id).state


def actions(db) -> list[str]:
    with db.transaction(write=False) as session:
        found = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))
        return [action for action in found if action.startswith("campaign")]


def text(answer) -> str:
    """The page's text, entities decoded and spaces made one."""
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", answer.text)).split())


# --- the composer ---------------------------------------------------------------------------------


def test_the_composer_names_each_refused_field_and_saves_nothing(db, factory, organiser, lists):
    event_id = factory.event()
    bad = {"event": "x", "kind": "spam", "rate": "²", "send_date": "2020-01-01",
           "send_time": "09:00"}  # fmt: skip
    page = post(organiser, "/manage/campaigns/new", bad, "/manage/campaigns/new")
    assert page.status_code == 422
    shown = text(page)
    for words in ("Événement : Choisissez un événement.", "Type de campagne :", "Débit maximal :",
                  "Date d’envoi : Ce moment est passé."):  # fmt: skip
        assert words in shown, words
    assert 'aria-invalid="true"' in page.text
    # The services' own refusals land on their fields too.
    refused = {"event": str(event_id), "kind": "invitation", "resources_url": "javascript:x"}
    page = post(organiser, "/manage/campaigns/new", refused, "/manage/campaigns/new")
    assert page.status_code == 422
    assert "Listes : Une invitation s’adresse à des listes ou à un segment." in text(page)
    page = post(organiser, "/manage/campaigns/new", {**refused, "lists": ["CNCRES"]},
                "/manage/campaigns/new")  # fmt: skip
    assert page.status_code == 422
    assert "Lien vers les documents (français) : Un lien complet" in text(page)
    assert 'value="CNCRES" checked' in page.text  # what was typed stays
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Campaign)) == 0


def test_a_composed_campaign_is_a_draft_showing_its_audience(db, factory, organiser, lists):
    event_id = factory.event()
    form = organiser.get(f"/manage/campaigns/new?event={event_id}")
    assert form.status_code == 200
    assert f'<option value="{event_id}" selected' in form.text
    answer = post(organiser, "/manage/campaigns/new", {**COMPOSED, "event": str(event_id)},
                  "/manage/campaigns/new")  # fmt: skip
    assert answer.status_code == 302
    with db.transaction(write=False) as session:
        campaign = session.scalars(select(Campaign)).one()
        assert campaign.state is S.DRAFT
        assert campaign.lists == ["CNCRES", "RTES"]
        assert campaign.extra == {"note": "Venez nombreux.", "note_en": "Do come.",
                                  "access": "Métro ligne 8, station Lourmel.",
                                  "resources_url": "https://example.org/docs"}  # fmt: skip
    assert answer.headers["Location"] == f"/manage/campaigns/{campaign.id}"
    page = text(organiser.get(answer.headers["Location"]))
    assert "4 personnes distinctes" in page
    assert "dont 1 désinscrite ou en erreur" in page
    assert "3 emails partiront" in page
    assert "Do come." in page
    assert actions(db) == ["campaign.created"]


def test_a_send_time_is_read_in_paris_time(db, factory, organiser, lists):
    event_id = factory.event()
    day = (utcnow() + timedelta(days=10)).date().isoformat()
    form = {**COMPOSED, "event": str(event_id), "send_date": day, "send_time": "09:00"}
    assert post(organiser, "/manage/campaigns/new", form).status_code == 302
    with db.transaction(write=False) as session:
        send_at = session.scalars(select(Campaign.send_at)).one()
    assert send_at.astimezone(ZoneInfo("Europe/Paris")).hour == 9


# --- launch, pause, resume, cancel --------------------------------------------------------------


def test_launching_names_the_count_then_sends(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event())
    path = f"/manage/campaigns/{campaign_id}/launch"
    page = organiser.get(path)
    assert page.status_code == 200
    assert "3 personnes recevront cet email." in text(page)
    assert "Envoyer à 3 personnes" in text(page)
    assert state(db, campaign_id) is S.DRAFT  # the page changed nothing
    answer = post(organiser, path, page=path)
    assert answer.status_code == 302
    assert state(db, campaign_id) is S.SENDING
    assert "L’envoi commence." in text(organiser.get(answer.headers["Location"]))
    again = post(organiser, path, page=f"/manage/campaigns/{campaign_id}")
    assert again.status_code == 409
    assert "Seul un brouillon se lance" in text(again)
    assert "Envoyer à" not in text(again)
    assert actions(db) == ["campaign.launched"]


def test_a_campaign_with_a_send_time_is_scheduled(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event(), send_at=utcnow() + timedelta(days=2))
    path = f"/manage/campaigns/{campaign_id}/launch"
    assert "Programmer l’envoi à 3 personnes" in text(organiser.get(path))
    assert post(organiser, path, page=path).status_code == 302
    assert state(db, campaign_id) is S.SCHEDULED
    assert actions(db) == ["campaign.scheduled"]


def test_pause_resume_and_cancel(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event())
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda session, campaign_id: None)
    base = f"/manage/campaigns/{campaign_id}"
    for move, expected in (("pause", S.PAUSED), ("resume", S.SENDING), ("cancel", S.CANCELLED)):
        answer = post(organiser, f"{base}/{move}", page=base)
        assert answer.status_code == 302, move
        assert state(db, campaign_id) is expected
    refused = post(organiser, f"{base}/pause", page=base)
    assert refused.status_code == 409
    assert "la campagne a changé entre-temps" in text(refused)
    assert actions(db) == ["campaign.paused", "campaign.resumed", "campaign.cancelled"]


def test_a_comms_account_sees_the_campaign_but_cannot_launch_it(db, factory, comms, lists):
    event_id = factory.event()
    campaign_id = draft(db, event_id)
    base = f"/manage/campaigns/{campaign_id}"
    for path in ("/manage/campaigns", f"/manage/events/{event_id}/campaigns", base,
                 f"{base}/progress", f"{base}/preview"):  # fmt: skip
        page = comms.get(path)
        assert page.status_code == 200, path
        for control in ("Lancer", "Annuler la campagne", "Nouvelle campagne", "M’envoyer un test",
                        "Ajouter les envois habituels"):  # fmt: skip
            assert control not in page.text, (path, control)
    assert comms.get(f"{base}/launch").status_code == 403
    assert comms.get("/manage/campaigns/new").status_code == 403
    for path in (f"{base}/launch", f"{base}/cancel", f"{base}/test",
                 f"/manage/events/{event_id}/rules/defaults"):  # fmt: skip
        assert post(comms, path, page=base).status_code == 403, path
    assert state(db, campaign_id) is S.DRAFT
    assert actions(db) == []


# --- live progress ------------------------------------------------------------------------------


def test_the_progress_fragment_counts_and_names_the_failures(db, settings, factory, organiser,
                                                             lists):  # fmt: skip
    campaign_id = draft(db, factory.event())
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda session, campaign_id: None)
    services.build(db, settings, campaign_id)
    with db.transaction() as session:
        first, second = session.scalars(
            select(Message.id).where(Message.status == MessageStatus.QUEUED).order_by(Message.id)
        ).all()[:2]
        session.execute(
            update(Message)
            .where(Message.id == first)
            .values(
                status=MessageStatus.FAILED, attempts=1, last_error="550 5.1.1 mailbox unavailable"
            )
        )
        session.execute(update(Message).where(Message.id == second).values(
            status=MessageStatus.SENT, sent_at=utcnow()))  # fmt: skip
    page = organiser.get(f"/manage/campaigns/{campaign_id}")
    assert 'hx-trigger="every 5s"' in page.text
    assert f'hx-get="/manage/campaigns/{campaign_id}/progress"' in page.text
    fragment = organiser.get(f"/manage/campaigns/{campaign_id}/progress")
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    counts = dict(re.findall(r'data-status="(\w+)">(\d+)<', fragment.text))
    assert counts == {"queued": "1", "sending": "0", "sent": "1", "failed": "1", "suppressed": "1"}
    assert "550 5.1.1 mailbox unavailable" in fragment.text
    assert "3 emails traités sur 4" in text(fragment)
    assert "1 email envoyé dans la dernière minute" in text(fragment)
    assert "Mettre en pause" in fragment.text


def test_a_finished_campaign_stops_asking_for_news(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event())
    with db.transaction() as session:
        services.cancel(session, campaign_id)
    fragment = organiser.get(f"/manage/campaigns/{campaign_id}/progress")
    assert "hx-trigger" not in fragment.text
    assert "Annulée" in fragment.text


# --- the list of campaigns and the event's rules ------------------------------------------------


def test_the_campaigns_newest_first_and_from_the_event_page(db, factory, organiser, lists):
    event_id = factory.event(title="Rencontre des PTCE")
    older, newer = draft(db, event_id), draft(db, event_id, subject="Dernière")
    page = organiser.get("/manage/campaigns").text
    assert page.index(f"/manage/campaigns/{newer}") < page.index(f"/manage/campaigns/{older}")
    assert "Rencontre des PTCE" in page
    assert "Brouillon" in page
    assert (
        f"/manage/events/{event_id}/campaigns" in organiser.get(f"/manage/events/{event_id}").text
    )
    assert (
        f"/manage/campaigns/{newer}" in organiser.get(f"/manage/events/{event_id}/campaigns").text
    )


def rule_rows(db) -> list[tuple[str, int, RuleState]]:
    with db.transaction(write=False) as session:
        rows = session.execute(select(CampaignRule.kind, CampaignRule.offset_hours,
                                      CampaignRule.state).order_by(CampaignRule.id))  # fmt: skip
        return [(kind.value, hours, rule_state) for kind, hours, rule_state in rows]


def test_rules_are_added_removed_and_the_defaults_in_one_click(db, factory, organiser):
    event_id = factory.event()
    base = f"/manage/events/{event_id}/rules"
    form = {"kind": "reminder", "amount": "2", "unit": "days", "moment": "before_event"}
    assert post(organiser, base, form).status_code == 302
    assert rule_rows(db) == [("reminder", -48, RuleState.PENDING)]
    page = text(organiser.get(f"/manage/events/{event_id}/campaigns"))
    assert "Rappel aux personnes inscrites 2 jours avant l’événement" in page
    refused = post(organiser, base, {**form, "amount": "0", "kind": "invitation"})
    assert refused.status_code == 422
    assert "Choisissez ce qu’il faut envoyer." in text(refused)
    assert "Un nombre entier, d’une heure à un an." in text(refused)
    with db.transaction(write=False) as session:
        rule_id = session.scalars(select(CampaignRule.id)).one()
    assert post(organiser, f"{base}/{rule_id}/remove").status_code == 302
    assert rule_rows(db) == []
    assert post(organiser, f"{base}/defaults").status_code == 302
    assert [kind for kind, _, _ in rule_rows(db)] == [
        "follow_up",
        "last_call",
        "reminder",
        "practical_info",
    ]
    page = text(organiser.get(f"/manage/events/{event_id}/campaigns"))
    assert "au départ des invitations" in page  # the follow-up waits for the invitations
    assert actions(db) == ["campaign_rule.added", "campaign_rule.removed",
                           "campaign_rule.defaults"]  # fmt: skip


def test_a_started_or_skipped_rule_says_so_and_a_started_one_stays(db, factory, organiser):
    event_id = factory.event()
    with db.transaction() as session:
        started, skipped = rules.add_defaults(session, event_id)[:2]
        session.execute(update(CampaignRule).where(CampaignRule.id == started.id)
                        .values(state=RuleState.STARTED))  # fmt: skip
        session.execute(update(CampaignRule).where(CampaignRule.id == skipped.id)
                        .values(state=RuleState.SKIPPED, reason=rules.NO_SEAT_LEFT))  # fmt: skip
    page = text(organiser.get(f"/manage/events/{event_id}/campaigns"))
    assert "Sauté : il ne restait aucune place" in page
    refused = post(organiser, f"/manage/events/{event_id}/rules/{started.id}/remove")
    assert refused.status_code == 409
    assert (
        post(organiser, f"/manage/events/{event_id}/rules/{skipped.id}/remove").status_code == 302
    )
    assert len(rule_rows(db)) == 3
    other = factory.event(slug="autre")
    assert post(organiser, f"/manage/events/{other}/rules/{started.id}/remove").status_code == 404


# --- the preview and the test send --------------------------------------------------------------


def test_the_preview_shows_the_email_as_sent_in_french_and_english(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event(), subject="Objet choisi",
                        extra={"note": "Venez nombreux.", "note_en": "Do come."})  # fmt: skip
    base = f"/manage/campaigns/{campaign_id}/preview"
    french = organiser.get(base)
    assert french.status_code == 200
    assert "Objet choisi" in french.text
    assert "Venez nombreux." in text(french)
    assert "Bonjour Alice," in text(french)  # the first person of the audience
    frame = re.search(r'<iframe[^>]*sandbox[^>]*src="([^"]+)"', french.text)
    assert frame is not None
    html = organiser.get(unescape(frame.group(1)))
    assert html.mimetype == "text/html"
    assert "sandbox" in html.headers["Content-Security-Policy"]
    assert html.headers["X-Frame-Options"] == "SAMEORIGIN"
    assert "Venez nombreux." in html.text
    assert 'lang="fr"' in html.text
    english = organiser.get(f"{base}?language=en")
    assert "Do come." in text(english)
    assert "Venez nombreux." not in text(english)
    assert "Hello Alice," in text(english)
    assert '<html lang="fr"' in english.text  # the page stays French: only the email changed
    bob_id = re.search(r"to=(\d+)[^>]*>Bob<", french.text)[1]
    bob = organiser.get(f"{base}?language=en&to={bob_id}")
    assert "Hello Bob," in text(bob)
    eml = organiser.get(f"{base}/email.eml?language=en")
    message = BytesParser(policy=policy.default).parsebytes(eml.data)
    assert message["Subject"] == "Objet choisi"
    assert "Do come." in message.get_body(("plain",)).get_content()


def test_the_preview_never_hands_out_a_persons_own_link(db, settings, factory, organiser,
                                                        lists):  # fmt: skip
    campaign_id = draft(db, factory.event())
    with db.transaction() as session:
        services.launch(session, campaign_id, lambda session, campaign_id: None)
    services.build(db, settings, campaign_id)  # their invitations exist now
    eml = organiser.get(f"/manage/campaigns/{campaign_id}/preview/email.eml").data.decode()
    with db.transaction(write=False) as session:
        public_ids = session.scalars(select(Invitation.public_id)).all()
    assert public_ids
    assert not any(public_id in eml for public_id in public_ids)


def test_send_me_a_test_mails_the_signed_in_account(db, factory, organiser, lists):
    campaign_id = draft(db, factory.event(), extra={"note": "Venez nombreux."})
    preview = f"/manage/campaigns/{campaign_id}/preview"
    answer = post(organiser, f"/manage/campaigns/{campaign_id}/test", page=preview)
    assert answer.status_code == 302
    assert answer.headers["Location"] == preview
    assert "Email de test envoyé à orga@example.org." in text(organiser.get(preview))
    [sent] = list(OUTBOX.glob("*.eml"))
    message = BytesParser(policy=policy.default).parsebytes(sent.read_bytes())
    assert message["To"].addresses[0].addr_spec == "orga@example.org"
    assert "Venez nombreux." in message.get_body(("plain",)).get_content()
    with db.transaction(write=False) as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0  # outside counts
    assert actions(db) == ["campaign.test_sent"]
