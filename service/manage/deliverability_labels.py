"""The deliverability panel in words: the sender domain's checks explained (what a state means
and what to ask the domain's administrator to publish), the kinds of undelivered emails, rates
as percentages."""

from __future__ import annotations

from collections.abc import Callable

from babel.numbers import format_percent
from flask_babel import get_locale, gettext, lazy_gettext

from service.manage.figures import campaign_label
from service.sending.domain_checks import Check, State
from service.tracking.deliverability import Line

CHECK_NAMES = {
    "spf": lazy_gettext("SPF (serveurs autorisés)"),
    "dkim": lazy_gettext("DKIM (signature des emails)"),
    "dmarc": lazy_gettext("DMARC (politique du domaine)"),
}
STATE_LABELS = {
    State.OK: lazy_gettext("En place"),
    State.MISSING: lazy_gettext("Absent"),
    State.INCOMPLETE: lazy_gettext("Incomplet"),
    State.FAILED: lazy_gettext("Vérification impossible"),
}
# Filled with the check's values (`domain` always); "%" appears in none of them.
EXPLANATIONS = {
    "spf_ok": lazy_gettext(
        "Le domaine autorise SendGrid à envoyer des emails en son nom. Rien à faire."
    ),
    "spf_no_sendgrid": lazy_gettext(
        "Le domaine publie un enregistrement SPF, mais SendGrid n'y figure pas : les messageries "
        "des destinataires peuvent refuser nos emails ou les classer en indésirables. Demandez à "
        "l'administrateur du domaine d'ajouter « include:sendgrid.net » à cet enregistrement, "
        "avant le « ~all » ou le « -all » final."
    ),
    "spf_several": lazy_gettext(
        "Le domaine publie plusieurs enregistrements SPF : les messageries n'en lisent alors "
        "aucun. Demandez à l'administrateur du domaine de les réunir en un seul, qui contienne "
        "« include:sendgrid.net »."
    ),
    "spf_missing": lazy_gettext(
        "Le domaine ne publie aucun enregistrement SPF : rien ne dit aux messageries que SendGrid "
        "peut envoyer en son nom. Demandez à l'administrateur du domaine de publier sur "
        "%(domain)s l'enregistrement TXT « v=spf1 include:sendgrid.net ~all », en y ajoutant les "
        "autres services qui envoient des emails pour le domaine."
    ),
    "dkim_ok": lazy_gettext(
        "Le domaine est authentifié dans SendGrid : nos emails sont signés en son nom, et les "
        "messageries peuvent vérifier qu'ils viennent bien de lui. Rien à faire."
    ),
    "dkim_missing": lazy_gettext(
        "Aucune clé DKIM de SendGrid n'est publiée pour ce domaine : nos emails ne sont pas "
        "signés en son nom et risquent d'être classés en indésirables. Dans SendGrid (Settings, "
        "Sender Authentication), lancez l'authentification du domaine %(domain)s, puis demandez "
        "à l'administrateur du domaine de publier les enregistrements CNAME que SendGrid affiche "
        "(s1._domainkey et s2._domainkey)."
    ),
    "dkim_partial": lazy_gettext(
        "Un des deux enregistrements DKIM de SendGrid manque : %(names)s. Demandez à "
        "l'administrateur du domaine de le publier tel que SendGrid l'affiche (Settings, Sender "
        "Authentication), puis relancez la vérification dans SendGrid."
    ),
    "dkim_elsewhere": lazy_gettext(
        "Ces enregistrements DKIM ne mènent pas à SendGrid : %(names)s. Ils ont sans doute été "
        "faits pour un autre service. Demandez à l'administrateur du domaine de publier à leur "
        "place les enregistrements CNAME que SendGrid affiche (Settings, Sender Authentication)."
    ),
    "dmarc_enforced": lazy_gettext(
        "Le domaine publie une politique DMARC (p=%(policy)s) : les messageries écartent les "
        "emails qui prétendent venir de lui sans être authentifiés. Rien à faire."
    ),
    "dmarc_none": lazy_gettext(
        "Le domaine publie une politique DMARC d'observation (p=none) : c'est ce que Gmail et "
        "Yahoo demandent à qui envoie beaucoup d'emails. Rien à faire ; plus tard, "
        "l'administrateur du domaine pourra la durcir (p=quarantine)."
    ),
    "dmarc_missing": lazy_gettext(
        "Le domaine ne publie pas de politique DMARC ; depuis 2024, Gmail et Yahoo l'exigent de "
        "qui envoie beaucoup d'emails, et peuvent refuser les autres. Demandez à "
        "l'administrateur du domaine de publier sur _dmarc.%(domain)s l'enregistrement TXT "
        "« v=DMARC1; p=none », avec s'il le souhaite une adresse qui recevra les rapports "
        "(rua=mailto:…)."
    ),
    "dmarc_no_policy": lazy_gettext(
        "L'enregistrement DMARC du domaine ne donne pas de politique valable (p=none, "
        "p=quarantine ou p=reject) : les messageries l'ignorent. Demandez à l'administrateur du "
        "domaine de le corriger, par exemple en « v=DMARC1; p=none »."
    ),
    "dmarc_several": lazy_gettext(
        "Le domaine publie plusieurs enregistrements DMARC : les messageries n'en lisent alors "
        "aucun. Demandez à l'administrateur du domaine de n'en garder qu'un."
    ),
    "failed": lazy_gettext(
        "La vérification n'a pas pu se faire : le serveur DNS n'a pas répondu à temps. Elle "
        "sera refaite dans quelques minutes."
    ),
}
REASON_KINDS = {
    "failed": lazy_gettext("Échec d'envoi"),
    "bounce": lazy_gettext("Rebond"),
    "dropped": lazy_gettext("Rejeté par SendGrid"),
}


def check_name(name: str) -> str:
    """'SPF (serveurs autorisés)'…"""
    return str(CHECK_NAMES[name])


def check_state(state: State) -> str:
    """'En place', 'Absent'…"""
    return str(STATE_LABELS[state])


def explanation(check: Check) -> str:
    """What the check's state means, and what to ask the domain's administrator to publish."""
    return str(EXPLANATIONS[check.reason]) % check.values


def reason_kind(kind: str) -> str:
    """'Rebond', 'Rejeté par SendGrid', 'Échec d'envoi'."""
    return str(REASON_KINDS[kind])


def line_name(line: Line) -> str:
    """'Invitation n° 12', or the event's own emails."""
    if line.kind is None:
        return gettext("Emails de l'événement (confirmations, liste d'attente, places proposées)")
    return campaign_label(line.kind, line.campaign_id)


def percent(rate: float | None) -> str:
    """'12,5 %' in French, '12.5%' in English; '—' without a rate."""
    if rate is None:
        return "—"
    return format_percent(round(rate, 3), locale=get_locale(), decimal_quantization=False)


FILTERS: dict[str, Callable[..., str]] = {
    "domain_check_name": check_name,
    "domain_check_state": check_state,
    "domain_check_explanation": explanation,
    "reason_kind": reason_kind,
    "delivery_rate": percent,
    "delivery_line_name": line_name,
}
