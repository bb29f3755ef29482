"""How the back office names states and orders, in the page's language."""

from __future__ import annotations

from datetime import datetime

from flask import Flask
from flask_babel import format_date, format_timedelta, lazy_gettext

from service.campaigns.models import CampaignKind, CampaignState, RuleState
from service.campaigns.rules import EVENT_STARTED, NO_SEAT_LEFT
from service.db import utcnow
from service.mail.models import MessageStatus
from service.manage.queries import Sort
from service.registrations.models import RegistrationStatus

STATUS_LABELS = {
    RegistrationStatus.CONFIRMED: lazy_gettext("Confirmé"),
    RegistrationStatus.WAITLISTED: lazy_gettext("En liste d'attente"),
    RegistrationStatus.OFFERED: lazy_gettext("Place proposée"),
    RegistrationStatus.DECLINED: lazy_gettext("A décliné"),
    RegistrationStatus.CANCELLED: lazy_gettext("Annulé"),
    RegistrationStatus.ATTENDED: lazy_gettext("Présent"),
}
SORT_LABELS = {
    Sort.NAME: lazy_gettext("Nom"),
    Sort.ORGANISATION: lazy_gettext("Organisation"),
    Sort.NEWEST: lazy_gettext("Les plus récentes d'abord"),
    Sort.OLDEST: lazy_gettext("Les plus anciennes d'abord"),
}

KIND_LABELS = {
    CampaignKind.INVITATION: lazy_gettext("Invitation"),
    CampaignKind.FOLLOW_UP: lazy_gettext("Relance des personnes sans réponse"),
    CampaignKind.LAST_CALL: lazy_gettext("Dernier appel"),
    CampaignKind.REMINDER: lazy_gettext("Rappel aux personnes inscrites"),
    CampaignKind.PRACTICAL_INFO: lazy_gettext("Informations pratiques"),
    CampaignKind.WAITLIST_NOTICE: lazy_gettext("Message à la liste d'attente"),
    CampaignKind.EVENT_CHANGED: lazy_gettext("Événement modifié"),
    CampaignKind.THANK_YOU: lazy_gettext("Remerciements"),
}
CAMPAIGN_STATE_LABELS = {
    CampaignState.DRAFT: lazy_gettext("Brouillon"),
    CampaignState.SCHEDULED: lazy_gettext("Programmée"),
    CampaignState.SENDING: lazy_gettext("En cours d'envoi"),
    CampaignState.PAUSED: lazy_gettext("En pause"),
    CampaignState.DONE: lazy_gettext("Terminée"),
    CampaignState.CANCELLED: lazy_gettext("Annulée"),
}
MESSAGE_STATUS_LABELS = {
    MessageStatus.QUEUED: lazy_gettext("En attente"),
    MessageStatus.SENDING: lazy_gettext("En cours"),
    MessageStatus.SENT: lazy_gettext("Envoyés"),
    MessageStatus.FAILED: lazy_gettext("En échec"),
    MessageStatus.SUPPRESSED: lazy_gettext("Bloqués (désinscrits, en erreur)"),
    MessageStatus.CANCELLED: lazy_gettext("Annulés"),
}
RULE_STATE_LABELS = {
    RuleState.PENDING: lazy_gettext("Prévu"),
    RuleState.STARTED: lazy_gettext("Fait"),
    RuleState.SKIPPED: lazy_gettext("Sauté"),
}
SKIP_REASONS = {
    EVENT_STARTED: lazy_gettext("l'événement avait commencé à son heure"),
    NO_SEAT_LEFT: lazy_gettext("il ne restait aucune place"),
}

AUDIT_LABELS = {
    "campaign.created": lazy_gettext("campagne créée"),
    "campaign.launched": lazy_gettext("campagne lancée"),
    "campaign.scheduled": lazy_gettext("campagne programmée"),
    "campaign.paused": lazy_gettext("campagne mise en pause"),
    "campaign.resumed": lazy_gettext("campagne reprise"),
    "campaign.cancelled": lazy_gettext("campagne annulée"),
    "campaign.test_sent": lazy_gettext("email de test envoyé"),
    "campaign_rule.added": lazy_gettext("envoi automatique ajouté"),
    "campaign_rule.removed": lazy_gettext("envoi automatique retiré"),
    "campaign_rule.defaults": lazy_gettext("envois automatiques habituels ajoutés"),
    "user.created": lazy_gettext("compte créé"),
    "user.disabled": lazy_gettext("compte désactivé"),
    "user.password_set": lazy_gettext("mot de passe choisi"),
    "invitation.created": lazy_gettext("invitation créée (lien affiché)"),
    "invitation.sent": lazy_gettext("invitation envoyée"),
    "registration.added": lazy_gettext("inscription ajoutée"),
    "registration.cancelled": lazy_gettext("inscription annulée"),
    "registration.seat_given": lazy_gettext("place donnée"),
    "registration.moved_up": lazy_gettext("mise en tête de la liste d'attente"),
    "registration.confirmation_resent": lazy_gettext("confirmation renvoyée"),
    "list.import": lazy_gettext("fichier importé dans une liste"),
    "contact.edited": lazy_gettext("contact modifié"),
    "contact.removed_from_list": lazy_gettext("contact retiré d'une liste"),
    "contact.suppressed": lazy_gettext("adresse bloquée"),
    "contact.erased": lazy_gettext("données personnelles effacées"),
    "segment.saved": lazy_gettext("segment enregistré"),
    "reply.handled": lazy_gettext("réponse marquée comme traitée"),
    "reply.reopened": lazy_gettext("réponse rouverte (à traiter)"),
    "report_link.created": lazy_gettext("lien de rapport créé pour un réseau"),
    "report_link.revoked": lazy_gettext("lien de rapport révoqué"),
}


def audit_label(action: str) -> str:
    """What an audit entry's action means, in words; the code itself for an unknown one."""
    label = AUDIT_LABELS.get(action)
    return str(label) if label is not None else action


def status_label(status: RegistrationStatus) -> str:
    """'Confirmé', 'En liste d'attente'…"""
    return str(STATUS_LABELS[status])


def kind_label(kind: CampaignKind) -> str:
    """'Invitation', 'Dernier appel'…"""
    return str(KIND_LABELS[kind])


def campaign_state_label(state: CampaignState) -> str:
    """'Brouillon', 'En cours d'envoi'…"""
    return str(CAMPAIGN_STATE_LABELS[state])


def message_status_label(status: str) -> str:
    """'Envoyés', 'En échec'… for a message status's value."""
    return str(MESSAGE_STATUS_LABELS[MessageStatus(status)])


def rule_state_label(state: RuleState) -> str:
    """'Prévu', 'Fait', 'Sauté'."""
    return str(RULE_STATE_LABELS[state])


def skip_reason(reason: str) -> str:
    """Why a rule was skipped, in words; the stored reason itself for an unknown one."""
    label = SKIP_REASONS.get(reason)
    return str(label) if label is not None else reason


def sort_label(sort: Sort) -> str:
    """'Nom', 'Organisation'…"""
    return str(SORT_LABELS[sort])


def waited(since: datetime | None) -> str:
    """How long ago `since` was, as people say it ('3 jours')."""
    return format_timedelta(utcnow() - since, threshold=1.1) if since else ""


def short_date(value: datetime) -> str:
    """'7 déc. 2026' / '7 Dec 2026': a date in a table's narrow column."""
    return format_date(value, "d MMM y")


def init_app(app: Flask) -> None:
    """Register the back office's filters."""
    app.jinja_env.filters.update(
        status_label=status_label,
        sort_label=sort_label,
        kind_label=kind_label,
        campaign_state_label=campaign_state_label,
        message_status_label=message_status_label,
        rule_state_label=rule_state_label,
        skip_reason=skip_reason,
        waited=waited,
        audit_label=audit_label,
        short_date=short_date,
    )
