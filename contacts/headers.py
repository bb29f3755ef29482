"""Column headers of mailing-list exports, recognised as contact fields.

Headers are compared once normalised (no accents, case, punctuation or extra spaces), so
"Adresse e-mail ", "ADRESSE E-MAIL" and "Adresse email" all name the same column.
"""

from __future__ import annotations

import re
import unicodedata

FIELDS: tuple[str, ...] = (
    "email",
    "first_name",
    "last_name",
    "full_name",
    "organisation",
    "role",
    "region",
    "phone",
    "language",
    "tags",
)

# Headers as French networks and common tools (Excel, Mailchimp, Sendinblue, HelloAsso…)
# write them; compared after normalise_header, so accents, case and hyphens do not matter.
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "email": (
        "Courriel",
        "Adresse courriel",
        "E-mail",
        "Email",
        "Emails",
        "Mail",
        "Mél",
        "Adresse mail",
        "Adresse e-mail",
        "Adresse email",
        "Adresse électronique",
        "Email address",
        "E-mail address",
    ),
    "first_name": ("Prénom", "First name", "Firstname", "Given name"),
    "last_name": ("Nom", "Nom de famille", "Last name", "Lastname", "Surname", "Family name"),
    "full_name": (
        "Nom complet",
        "Nom et prénom",
        "Nom prénom",
        "Prénom et nom",
        "Prénom Nom",
        "Name",
        "Full name",
    ),
    "organisation": (
        "Structure",
        "Organisation",
        "Organization",
        "Organisme",
        "Entreprise",
        "Association",
        "Société",
        "Company",
        "Nom de la structure",
        "Raison sociale",
    ),
    "role": ("Fonction", "Poste", "Rôle", "Titre", "Job title", "Position"),
    "region": ("Région", "Region"),
    "phone": (
        "Téléphone",
        "Tél",
        "Tel",
        "Phone",
        "Phone number",
        "Numéro de téléphone",
        "Mobile",
        "Portable",
        "Téléphone portable",
        "Téléphone mobile",
    ),
    "language": ("Langue", "Language", "Lang"),
    "tags": ("Tags", "Tag", "Étiquettes", "Étiquette", "Mots-clés", "Mots clés"),
}

_NOT_WORD = re.compile(r"[\W_]+")


def normalise_header(text: str) -> str:
    """The header bare of accents, case and punctuation: "Adresse e-mail " -> "adresse e mail"."""
    # NFKD splits "é" into "e" + a combining accent, which the filter then drops.
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NOT_WORD.sub(" ", bare.casefold()).strip()


_FIELD_OF: dict[str, str] = {
    normalise_header(synonym): field
    for field, synonyms in _SYNONYMS.items()
    for synonym in synonyms
}


def guess_field(header: str) -> str | None:
    """The contact field a column header names, or None when it is not a known one."""
    normalised = normalise_header(header)
    # "Email*" or "Courriel :" are common; "e mail" and "email" are both written.
    return _FIELD_OF.get(normalised) or _FIELD_OF.get(normalised.replace(" ", ""))
