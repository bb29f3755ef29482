"""Composing a campaign in the back office (saved as a draft), seeing its email exactly as the
backend builds it, for a few people of its audience, in French or English, and sending oneself
a test, through the same services as `convier campaign create|test-send` and the API."""

from __future__ import annotations

from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from service.accounts.roles import Can
from service.accounts.web import actor, current_user, requires
from service.audit.services import record
from service.campaigns import services
from service.campaigns.models import Campaign, CampaignKind
from service.db import utcnow
from service.errors import DomainError
from service.events.models import Event
from service.events.services import get_event
from service.extensions import get_db, get_settings
from service.mail.envelope import UnsafeHeader
from service.mail.render import LANGUAGES
from service.manage import campaign_queries as queries
from service.manage.campaign_form import blank_form, read_form, refusal, to_spec
from service.manage.campaign_routes import subject_of
from service.manage.routes import manage
from service.sending.domain_checks import of_sender
from service.sending.preview import campaign_message
from service.sending.testsend import send_test_email

# The preview's HTML part is shown in a frame of the page: it may style itself, and nothing
# else (no script, no request, no form); only our own pages may frame it.
EMAIL_PAGE_POLICY = "; ".join(
    ("default-src 'none'", "style-src 'unsafe-inline'", "img-src data:", "frame-ancestors 'self'",
     "base-uri 'none'", "form-action 'none'", "sandbox")
)  # fmt: skip


def _form_page(typed: dict[str, object], errors: dict[str, str]) -> tuple[str, int]:
    with get_db().transaction(write=False) as session:
        events, lists, segments = queries.composer_choices(session)
    page = render_template(
        "manage/campaign_form.html", form=typed, errors=errors, events=events, lists=lists,
        segments=segments, kinds=list(CampaignKind), sender_domain=of_sender(get_settings()),
    )  # fmt: skip
    return page, 422 if errors else 200


@manage.route("/campaigns/new", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
def new_campaign() -> tuple[str, int] | Response:
    """The composer; saved, the campaign is a draft, shown on its page."""
    if request.method == "GET":
        return _form_page(blank_form(request.args.get("event", "")[:20]), {})
    typed = read_form(request.form)
    settings = get_settings()
    spec, errors = to_spec(typed, settings.tz, utcnow())
    if spec is None:
        return _form_page(typed, errors)
    try:
        with get_db().transaction() as session:
            campaign = services.create(session, spec)
            record(session, actor(), "campaign.created", campaign.event_id, subject_of(campaign))
            campaign_id = campaign.id
    except DomainError as refused:
        return _form_page(typed, refusal(refused))
    flash(gettext("La campagne est enregistrée comme brouillon : rien n'est encore envoyé."))
    return redirect(url_for("manage.campaign", campaign_id=campaign_id))


@dataclass(frozen=True)
class Preview:
    """The email previewed: for whom, in which language, its bytes as a backend sends them."""

    campaign: Campaign
    event: Event
    people: list[queries.Sample]
    chosen: queries.Sample | None
    language: str
    data: bytes


def _preview() -> Preview:
    """The campaign's email for the person `?to=` names (a contact id among the samples; the
    first by default, a sample person when the audience is empty), in `?language=` (default: the
    person's language)."""
    campaign_id = (request.view_args or {})["campaign_id"]
    asked = request.args.get("language", "")
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        people = queries.samples(session, campaign)
        chosen = next((p for p in people if str(p.contact_id) == request.args.get("to")), None)
        chosen = chosen or (people[0] if people else None)
        language = asked if asked in LANGUAGES else (chosen.language if chosen else "fr")
        email = chosen.email if chosen else None
        data = campaign_message(session, get_settings(), campaign, email, language)
        event = get_event(session, campaign.event_id)
    return Preview(campaign, event, people, chosen, language, data)


def _parsed(data: bytes) -> EmailMessage:
    message = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    return message


@manage.get("/campaigns/<int:campaign_id>/preview")
@requires(Can.SEE_CONTACTS)
def campaign_preview(campaign_id: int) -> tuple[str, int]:
    """The campaign's email as sent: subject, sender, text part, and the HTML part in a frame."""
    try:
        preview = _preview()
    except (UnsafeHeader, ValueError) as broken:
        why = gettext("L'email ne peut pas être construit : %(why)s", why=str(broken))
        return _broken_page(campaign_id, why), 422
    message = _parsed(preview.data)
    text = message.get_body(("plain",))
    page = render_template(
        "manage/campaign_preview.html", preview=preview, message=message, problem="",
        text=text.get_content() if text is not None else "",
    )  # fmt: skip
    return page, 200


def _broken_page(campaign_id: int, why: str) -> str:
    """The preview page saying why there is nothing to show."""
    with get_db().transaction(write=False) as session:
        campaign = services.get(session, campaign_id)
        return render_template(
            "manage/campaign_preview.html", message=None, text="",
            preview=Preview(campaign, get_event(session, campaign.event_id), [], None, "fr", b""),
            problem=why,
        )  # fmt: skip


@manage.get("/campaigns/<int:campaign_id>/preview/email.html")
@requires(Can.SEE_CONTACTS)
def campaign_preview_html(campaign_id: int) -> Response:
    """The HTML part of the previewed email, as its recipient's mail client gets it."""
    try:
        html = _parsed(_preview().data).get_body(("html",))
    except (UnsafeHeader, ValueError):
        return Response(status=422)
    headers = {"Content-Security-Policy": EMAIL_PAGE_POLICY, "X-Frame-Options": "SAMEORIGIN"}
    body = html.get_content() if html is not None else ""
    return Response(body, mimetype="text/html", headers=headers)


@manage.get("/campaigns/<int:campaign_id>/preview/email.eml")
@requires(Can.SEE_CONTACTS)
def campaign_preview_eml(campaign_id: int) -> Response:
    """The previewed email, byte for byte, as a file a mail client opens."""
    try:
        data = _preview().data
    except (UnsafeHeader, ValueError):
        return Response(status=422)
    disposition = f'attachment; filename="campagne-{campaign_id}.eml"'
    return Response(data, mimetype="message/rfc822",
                    headers={"Content-Disposition": disposition})  # fmt: skip


@manage.post("/campaigns/<int:campaign_id>/test")
@requires(Can.CHANGE_EVENTS)
def send_campaign_test(campaign_id: int) -> Response | tuple[str, int]:
    """Send the campaign's email now to the signed-in account's own address."""
    user = current_user()
    assert user is not None  # requires() let the request in
    try:
        send_test_email(get_db(), get_settings(), campaign_id, user.email)
    except DomainError as refused:
        if refused.status == 404:
            raise
        why = gettext("L'email de test n'est pas parti : %(why)s", why=refused.message)
        return _broken_page(campaign_id, why), 502
    with get_db().transaction() as session:
        campaign = services.get(session, campaign_id)
        record(session, actor(), "campaign.test_sent", campaign.event_id, subject_of(campaign))
    flash(gettext("Email de test envoyé à %(email)s.", email=user.email))
    return redirect(url_for("manage.campaign_preview", campaign_id=campaign_id))
