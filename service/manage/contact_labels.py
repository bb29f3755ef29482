"""How the back office names contact fields, suppression reasons, import states, where a contact
stands with an event and the states of an email, in the page's language."""

from __future__ import annotations

import re

from flask import Flask
from flask_babel import format_number, gettext, lazy_gettext

from contacts.models import ImportState, SuppressionReason
from contacts.segments import EventState
from service.mail.models import MessageStatus

FIELD_LABELS = {
    "email": lazy_gettext("Adresse email"),
    "first_name": lazy_gettext("Prénom"),
    "last_name": lazy_gettext("Nom"),
    "full_name": lazy_gettext("Prénom et nom (ensemble)"),
    "organisation": lazy_gettext("Organisation"),
    "role": lazy_gettext("Fonction"),
    "region": lazy_gettext("Région"),
    "phone": lazy_gettext("Téléphone"),
    "language": lazy_gettext("Langue"),
    "tags": lazy_gettext("Étiquettes"),
}
SUPPRESSION_LABELS = {
    SuppressionReason.UNSUBSCRIBED: lazy_gettext("désinscription"),
    SuppressionReason.HARD_BOUNCE: lazy_gettext("adresse en erreur"),
    SuppressionReason.SPAM_REPORT: lazy_gettext("signalé comme spam"),
    SuppressionReason.ERASED: lazy_gettext("données effacées"),
    SuppressionReason.MANUAL: lazy_gettext("bloquée à la main"),
}
IMPORT_STATE_LABELS = {
    ImportState.UPLOADED: lazy_gettext("colonnes à vérifier"),
    ImportState.CHECKING: lazy_gettext("vérification en cours"),
    ImportState.CHECKED: lazy_gettext("vérifié, à importer"),
    ImportState.IMPORTING: lazy_gettext("import en cours"),
    ImportState.DONE: lazy_gettext("importé"),
    ImportState.FAILED: lazy_gettext("illisible"),
}

EVENT_STATE_LABELS = {
    EventState.NOT_INVITED: lazy_gettext("pas invité·e"),
    EventState.INVITED: lazy_gettext("invité·e"),
    EventState.NO_ANSWER: lazy_gettext("invité·e, sans réponse"),
    EventState.REGISTERED: lazy_gettext("inscrit·e (place, offre ou attente)"),
    EventState.CONFIRMED: lazy_gettext("inscription confirmée"),
    EventState.WAITLISTED: lazy_gettext("en liste d'attente"),
    EventState.DECLINED: lazy_gettext("a décliné"),
    EventState.CANCELLED: lazy_gettext("a annulé"),
    EventState.ATTENDED: lazy_gettext("présent·e (pointé·e à l'entrée)"),
    EventState.NO_SHOW: lazy_gettext("absent·e (place confirmée, pas venu·e)"),
}
MESSAGE_STATUS_LABELS = {
    MessageStatus.QUEUED: lazy_gettext("en attente d'envoi"),
    MessageStatus.SENDING: lazy_gettext("en cours d'envoi"),
    MessageStatus.SENT: lazy_gettext("envoyé"),
    MessageStatus.FAILED: lazy_gettext("échec"),
    MessageStatus.SUPPRESSED: lazy_gettext("non envoyé : adresse bloquée"),
    MessageStatus.CANCELLED: lazy_gettext("non envoyé : campagne annulée"),
}

# The reasons contacts.cleaning and contacts.duplicates give (in English, for the CLI and the
# API), said in the page's language; an email address's own problem (from email-validator) is
# shown after a translated lead.
LONGER = re.compile(r"longer than (\d+) characters")
LANGUAGE = re.compile(r"unknown language (.+) \(fr or en\)")
LOOK_ALIKE = re.compile(r"mixes .+ letters in .+: a look-alike address")
SAME_PERSON = re.compile(r"likely the same person: (.+) \((.+)\)")


def row_problem(reason: str) -> str:
    """Why a row was refused, in the page's language."""
    if reason == "no email address":
        return gettext("pas d'adresse email")
    if found := LONGER.fullmatch(reason):
        return gettext("plus de %(limit)s caractères", limit=found[1])
    if found := LANGUAGE.fullmatch(reason):
        return gettext("langue inconnue %(value)s (fr ou en)", value=found[1])
    if LOOK_ALIKE.fullmatch(reason):
        return gettext("adresse trompeuse : elle mêle des lettres de plusieurs alphabets")
    return gettext("adresse email invalide (%(why)s)", why=reason)


def import_warning(text: str) -> str:
    """A warning of an import's report, in the page's language."""
    if found := SAME_PERSON.fullmatch(text):
        return gettext("probablement la même personne : %(addresses)s (%(who)s)",
                       addresses=found[1], who=found[2])  # fmt: skip
    return text


def field_label(name: str) -> str:
    """'Adresse email', 'Prénom'…"""
    return str(FIELD_LABELS[name])


def init_app(app: Flask) -> None:
    """Register the filters of the contact pages."""
    app.jinja_env.filters.update(
        number=format_number,
        field_label=field_label,
        suppression_label=lambda reason: str(SUPPRESSION_LABELS[reason]),
        import_state_label=lambda state: str(IMPORT_STATE_LABELS[state]),
        message_status_label=lambda status: str(MESSAGE_STATUS_LABELS[status]),
        event_state_label=lambda state: str(EVENT_STATE_LABELS[state]),
        row_problem=row_problem,
        import_warning=import_warning,
    )
