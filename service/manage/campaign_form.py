"""The composer's form and the rule form of the back office, read into what the campaign
services take (`CampaignSpec`, a rule's moment); each refusal lands on its field, by the names
the services give their fields."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, tzinfo
from typing import Any

from flask_babel import gettext
from werkzeug.datastructures import MultiDict

from service.campaigns.models import CampaignKind, RuleAnchor
from service.campaigns.services import CampaignSpec
from service.errors import DomainError
from service.mail.context import ENGLISH, ORGANISER_WORDS
from service.text import one_line

# The organiser's words, in French and in English: the names of the campaign's `extra`.
WORDS = tuple(name + suffix for name in ORGANISER_WORDS for suffix in ("", ENGLISH))
LINES = ("event", "kind", "segment", "subject", "sender_name", "send_date", "send_time", "rate")
MAX_RATE = 1_000_000
MAX_WORDS = 5000  # characters of a note or of access information
RULE_KINDS = (CampaignKind.FOLLOW_UP, CampaignKind.LAST_CALL, CampaignKind.REMINDER,
              CampaignKind.PRACTICAL_INFO, CampaignKind.THANK_YOU)  # fmt: skip
MOMENTS = ("before_event", "after_event", "after_invitations")
MAX_RULE_DAYS = 365


def blank_form(event_id: str = "") -> dict[str, Any]:
    """What a new campaign's form starts from."""
    return {**dict.fromkeys(LINES + WORDS, ""), "event": event_id, "kind": "invitation",
            "lists": []}  # fmt: skip


def read_form(form: MultiDict[str, str]) -> dict[str, Any]:
    """The composer's fields as the organiser typed them (one line each, but the texts)."""
    typed: dict[str, Any] = {name: one_line(form.get(name, "")) for name in LINES}
    typed |= {name: form.get(name, "").strip().replace("\r\n", "\n") for name in WORDS}
    typed["lists"] = [one_line(name) for name in form.getlist("lists") if name.strip()][:500]
    return typed


def number(text: str) -> int | None:
    """The whole number `text` writes in digits, else None."""
    return int(text) if text.isdecimal() else None


def _send_at(typed: dict[str, Any], tz: tzinfo, now: datetime) -> tuple[Any, dict[str, str]]:
    day, clock = typed["send_date"], typed["send_time"]
    if not day and not clock:
        return None, {}
    try:
        moment = datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), tz)
    except ValueError:
        field = "send_date" if not _is_date(day) else "send_time"
        return None, {field: gettext("Une date et une heure, par exemple 2027-07-05 et 09:00.")}
    if moment <= now:
        return None, {"send_date": gettext("Ce moment est passé.")}
    return moment, {}


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def to_spec(
    typed: dict[str, Any], tz: tzinfo, now: datetime
) -> tuple[CampaignSpec | None, dict[str, str]]:
    """The campaign the form asks for, or each field's refusal."""
    errors: dict[str, str] = {}
    if number(typed["event"]) is None:
        errors["event"] = gettext("Choisissez un événement.")
    if typed["kind"] not in {kind.value for kind in CampaignKind}:
        errors["kind"] = gettext("Choisissez le type de campagne.")
    rate = number(typed["rate"])
    if typed["rate"] and (rate is None or not 1 <= rate <= MAX_RATE):
        errors["rate"] = gettext("Un nombre entier d'au moins 1, sans espace.")
    for name in WORDS:
        if len(typed[name]) > MAX_WORDS:
            errors[name] = gettext("Au plus %(n)s caractères.", n=MAX_WORDS)
    send_at, problems = _send_at(typed, tz, now)
    errors |= problems
    if errors:
        return None, errors
    spec = CampaignSpec(
        event_id=int(typed["event"]), kind=CampaignKind(typed["kind"]), lists=typed["lists"],
        segment=typed["segment"], subject=typed["subject"], sender_name=typed["sender_name"],
        send_at=send_at, rate_per_minute=rate,
        extra={name: typed[name] for name in WORDS if typed[name]},
    )  # fmt: skip
    return spec, {}


def refusal(error: DomainError) -> dict[str, str]:
    """A service's refusal of the campaign, on the form's fields, in the page's language."""
    errors: dict[str, str] = {}
    for names, reason in error.fields.items():
        for name in names.split(", "):
            if name == "lists" and "no list" in reason:
                errors[name] = gettext("Cette liste n'existe plus : %(lists)s",
                                       lists=reason.removeprefix("no list called "))  # fmt: skip
            elif name == "lists":
                errors[name] = gettext("Une invitation s'adresse à des listes ou à un segment.")
            elif name == "segment":
                errors[name] = gettext("Ce segment n'existe plus.")
            elif name == "event":
                errors[name] = gettext("Cet événement n'existe plus.")
            elif name in ("subject", "sender_name"):
                errors[name] = gettext("Une ligne, au plus 300 caractères.")
            elif name.removesuffix(ENGLISH) == "resources_url":
                errors[name] = gettext("Un lien complet, par exemple https://exemple.org/docs.")
            elif name in WORDS:
                errors[name] = gettext("Un texte, sans caractères de contrôle.")
            else:
                errors["form"] = gettext("La campagne n'a pas pu être créée : %(why)s", why=reason)
    return errors or {"form": error.message}


def read_rule(form: MultiDict[str, str]) -> tuple[tuple[Any, ...] | None, dict[str, str]]:
    """(kind, anchor, offset) of the rule the form asks for, or each field's refusal."""
    errors: dict[str, str] = {}
    kind, moment = form.get("kind", ""), form.get("moment", "")
    amount, unit = form.get("amount", "").strip(), form.get("unit", "")
    if kind not in RULE_KINDS:
        errors["kind"] = gettext("Choisissez ce qu'il faut envoyer.")
    if moment not in MOMENTS:
        errors["moment"] = gettext("Choisissez le moment.")
    if unit not in ("days", "hours"):
        errors["unit"] = gettext("En jours ou en heures.")
    hours = (number(amount) or 0) * (24 if unit == "days" else 1)
    if not 1 <= hours <= MAX_RULE_DAYS * 24:
        errors["amount"] = gettext("Un nombre entier, d'une heure à un an.")
    if errors:
        return None, errors
    anchor = RuleAnchor.INVITATION if moment == "after_invitations" else RuleAnchor.EVENT_START
    offset = timedelta(hours=-hours if moment == "before_event" else hours)
    return (CampaignKind(kind), anchor, offset), {}
