"""Make the sample mailing lists of the demo: four networks' exports, in the shapes they send.

    .venv/bin/python contacts/samples/make_samples.py

writes cncres.csv, coorace.xlsx, rtes.csv and mes.csv next to this script, byte for byte the
same at every run (seeded; the workbook's timestamps are fixed), and prints what importing them
in that order must report (tests/contacts/test_samples.py asserts those numbers).

Every person is invented and every address is on example.org, example.fr or example.net. About
one person in five is on two or three lists, written differently from one list to the next
(case, spaces, fields left empty); each file also has a few bad rows: an invalid address, a row
without one, the same person twice.
"""

from __future__ import annotations

import csv
import io
import json
import random
import re
import sys
import unicodedata
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from openpyxl import Workbook

SEED = 20250314
HERE = Path(__file__).resolve().parent
NETWORKS = ("CNCRES", "COORACE", "RTES", "MES")  # also the order of import
DOMAINS = ("example.org", "example.fr", "example.net")
ZIP_TIME = (2025, 3, 14, 9, 30, 0)
XLSX_TIME = "2025-03-14T09:30:00Z"
FIELDS = ("first_name", "last_name", "organisation", "role", "region", "phone")

FEMALE = (
    "Claire", "Sophie", "Anaïs", "Hélène", "Marie-Hélène", "Chloé", "Gaëlle", "Françoise",
    "Isabelle", "Nathalie", "Camille", "Léa", "Agnès", "Mathilde", "Élodie", "Sandrine",
    "Fatima", "Aurélie", "Béatrice", "Solène", "Maëlle", "Nadia", "Coralie", "Sylvie",
    "Valérie", "Émilie", "Juliette", "Laure", "Odile", "Pascale", "Yasmina", "Zoé",
    "Anne-Laure", "Margaux", "Inès", "Noémie", "Céline", "Brigitte", "Roseline", "Amandine",
)  # fmt: skip
MALE = (
    "Karim", "Jean", "Thomas", "Nicolas", "Frédéric", "Julien", "Mathieu", "François",
    "Olivier", "Stéphane", "Yannick", "Benoît", "Hugo", "Loïc", "Rémi", "Samir",
    "Antoine", "Guillaume", "Jérôme", "Pierre-Yves", "Arnaud", "Mehdi", "Cédric", "Noël",
    "Baptiste", "Gaël", "Hervé", "Jean-Marc", "Laurent", "Maxime", "Sébastien", "Tanguy",
    "Vincent", "Xavier", "Alain", "Bruno", "Denis", "Éric", "Fabien", "Grégoire",
)  # fmt: skip
LAST = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand",
    "Leroy", "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David",
    "Bertrand", "Roux", "Vincent", "Fournier", "Morel", "Girard", "André", "Mercier",
    "Dupont", "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure",
    "Rousseau", "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin",
    "Morin", "Mathieu", "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier",
    "Robin", "Masson", "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire",
    "Duval", "Joly", "Gautier", "Roger", "Le Gall", "Le Goff", "Benali", "Haddad",
    "Da Silva", "Ferreira", "Kerouédan", "Quéméner", "Bouchard", "Lacroix", "Brunet", "Colin",
    "Pelletier", "Aubert", "Rey", "Renaud", "Caron", "Meunier", "Jacquet", "Arnaud",
    "Moreau-Duval", "Saint-Martin", "Lebrun", "Barbier", "Marchand", "Cordier", "Hamon",
    "Tessier", "Besnard", "Ollivier",
)  # fmt: skip
REGIONS = (
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire",
    "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie", "Nouvelle-Aquitaine",
    "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur", "La Réunion",
)  # fmt: skip
# Organisations of each network, each with its region ("" = drawn at random).
ORGANISATIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "CNCRES": (
        *((f"CRESS {region}", region) for region in REGIONS),
        ("ESS France", "Île-de-France"),
        ("Observatoire régional de l'ESS", ""),
    ),
    "COORACE": (
        ("Association Trait d'Union", "Hauts-de-France"),
        ("Régie de quartier Les Tilleuls", "Grand Est"),
        ("ACI Les Jardins du Cœur", "Normandie"),
        ("Ressourcerie du Pays de Redon", "Bretagne"),
        ("Ateliers du Bocage, entreprise d'insertion", "Nouvelle-Aquitaine"),
        ("GEIQ BTP Solidaire", "Auvergne-Rhône-Alpes"),
        ("Association intermédiaire Coup de Main", "Occitanie"),
        ("SCIC Mobilités Solidaires", "Pays de la Loire"),
        ("ETTI Intérim Ensemble", "Île-de-France"),
        ("PTCE Terre d'Entreprises", "Centre-Val de Loire"),
        ("COORACE Fédération nationale", "Île-de-France"),
        ("Chantier d'insertion La Passerelle", "Provence-Alpes-Côte d'Azur"),
    ),
    "RTES": (
        ("Ville de Rennes", "Bretagne"),
        ("Rennes Métropole", "Bretagne"),
        ("Ville de Grenoble", "Auvergne-Rhône-Alpes"),
        ("Région Occitanie", "Occitanie"),
        ("Département de la Gironde", "Nouvelle-Aquitaine"),
        ("Communauté de communes du Val de Drôme", "Auvergne-Rhône-Alpes"),
        ("Ville de Poitiers, direction de l'économie", "Nouvelle-Aquitaine"),
        ("Eurométropole de Strasbourg", "Grand Est"),
        ("Ville de Saint-Étienne", "Auvergne-Rhône-Alpes"),
        ("Conseil départemental du Nord", "Hauts-de-France"),
        ("Ville de Lille, mission ESS", "Hauts-de-France"),
        ("Nantes Métropole", "Pays de la Loire"),
    ),
    "MES": (
        ("SCIC Habitat Partagé", ""),
        ("Épicerie solidaire du Faubourg", "Île-de-France"),
        ("Monnaie locale La Roue Libre", "Provence-Alpes-Côte d'Azur"),
        ("Coopérative d'activités et d'emploi Ozon", "Auvergne-Rhône-Alpes"),
        ("Tiers-lieu La Fabrique Commune", "Occitanie"),
        ("SCIC Énergies Citoyennes du Quercy", "Occitanie"),
        ("Collectif pour une transition solidaire", ""),
        ("Association Finances Solidaires", "Île-de-France"),
        ("PTCE Pays de Bray Solidaire", "Normandie"),
        ("Réseau des AMAP de l'Ouest", "Pays de la Loire"),
        ("Mouvement pour l'économie solidaire", "Île-de-France"),
    ),
}
# Functions as "masculine|feminine", or one form for both.
ROLES: dict[str, tuple[str, ...]] = {
    "CNCRES": (
        "Chargé de mission ESS|Chargée de mission ESS", "Directeur|Directrice",
        "Président|Présidente", "Responsable de l'observatoire",
        "Chargé de développement|Chargée de développement", "Délégué général|Déléguée générale",
        "Responsable communication",
        "Chargé de mission commande publique|Chargée de mission commande publique",
        "Chargé de mission emploi|Chargée de mission emploi",
    ),
    "COORACE": (
        "Directeur|Directrice", "Encadrant technique|Encadrante technique",
        "Chargé d'insertion professionnelle|Chargée d'insertion professionnelle",
        "Président|Présidente", "Coordinateur|Coordinatrice",
        "Conseiller en insertion|Conseillère en insertion",
        "Responsable administratif et financier|Responsable administrative et financière",
        "Accompagnateur socioprofessionnel|Accompagnatrice socioprofessionnelle",
    ),
    "RTES": (
        "Élu délégué à l'économie sociale et solidaire"
        "|Élue déléguée à l'économie sociale et solidaire",
        "Chargé de mission ESS|Chargée de mission ESS",
        "Adjoint au maire, économie sociale et solidaire"
        "|Adjointe au maire, économie sociale et solidaire",
        "Directeur du développement économique|Directrice du développement économique",
        "Vice-président délégué à l'ESS|Vice-présidente déléguée à l'ESS",
        "Chef de projet achats responsables|Cheffe de projet achats responsables",
        "Conseiller municipal délégué|Conseillère municipale déléguée",
    ),
    "MES": (
        "Co-président|Co-présidente", "Animateur réseau|Animatrice réseau",
        "Coordinateur|Coordinatrice", "Chargé de projets|Chargée de projets",
        "Salarié|Salariée", "Bénévole", "Trésorier|Trésorière", "Gérant|Gérante",
    ),
}  # fmt: skip
HOME_COUNTS = {"CNCRES": 28, "COORACE": 27, "RTES": 25, "MES": 30}
ON_TWO_LISTS, ON_THREE_LISTS = 15, 7


@dataclass
class Person:
    """An invented person, as their home network knows them."""

    civility: str
    first_name: str
    last_name: str
    email: str
    organisation: str
    role: str
    region: str
    phone: str
    lists: list[str] = field(default_factory=list)


@dataclass
class Row:
    """One row of a file: the address as written, and the fields an import reads from it."""

    email: str
    fields: dict[str, str]
    extra: dict[str, str] = field(default_factory=dict)
    cells: dict[str, Any] = field(default_factory=dict)  # as written, by column


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.replace("œ", "oe").replace("Œ", "Oe"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _slug(text: str) -> str:
    return re.sub(r"[^a-z-]", "", _ascii(text).lower().replace(" ", "-"))


def _address(rng: random.Random, first: str, last: str, taken: set[str]) -> str:
    first_s, last_s = _slug(first), _slug(last).replace("-", "")
    styles = (
        [f"{first_s}.{last_s}"] * 14
        + [f"{first_s[0]}.{last_s}"] * 3
        + [
            f"{first_s}-{last_s}",
            f"{last_s}.{first_s}",
            f"{first_s}{last_s}",
        ]
    )
    local = rng.choice(styles)
    for domain in rng.sample(DOMAINS, len(DOMAINS)):
        email = f"{local}@{domain}"
        if email not in taken:
            taken.add(email)
            return email
    raise AssertionError(f"no free address for {local}")


def _gendered(role: str, female: bool) -> str:
    masculine, _, feminine = role.partition("|")
    return (feminine or masculine) if female else masculine


def _phone(rng: random.Random) -> str:
    digits = [rng.choice("67")] + [str(rng.randrange(10)) for _ in range(8)]
    number = "0" + "".join(digits)
    return " ".join(number[i : i + 2] for i in range(0, 10, 2))


def people(rng: random.Random) -> list[Person]:
    """The pool: everyone with a home network, one in five on one or two more lists."""
    names: set[tuple[str, str]] = set()
    taken: set[str] = set()
    pool: list[Person] = []
    for network, count in HOME_COUNTS.items():
        for _ in range(count):
            female = rng.random() < 0.55
            while True:
                first = rng.choice(FEMALE if female else MALE)
                last = rng.choice(LAST)
                if (first, last) not in names:
                    names.add((first, last))
                    break
            organisation, region = rng.choice(ORGANISATIONS[network])
            pool.append(
                Person(
                    civility="Mme" if female else "M.",
                    first_name=first,
                    last_name=last,
                    email=_address(rng, first, last, taken),
                    organisation=organisation,
                    role=_gendered(rng.choice(ROLES[network]), female),
                    region=region or rng.choice(REGIONS),
                    phone=_phone(rng),
                    lists=[network],
                )
            )
    several = rng.sample(pool, ON_TWO_LISTS + ON_THREE_LISTS)
    for index, person in enumerate(several):
        others = [n for n in NETWORKS if n not in person.lists]
        extra = 1 if index < ON_TWO_LISTS else 2
        person.lists += rng.sample(others, extra)
    return pool


def _variant(rng: random.Random, email: str) -> str:
    """The address as another network's file writes it."""
    local, _, domain = email.partition("@")
    choice = rng.randrange(5)
    if choice == 0:
        return email.upper()
    if choice == 1:
        parts = [p.capitalize() for p in local.split(".")]
        return ".".join(parts) + "@" + domain.capitalize()
    if choice == 2:
        return f" {email} "
    return email


def _maybe(rng: random.Random, value: str, keep: float) -> str:
    return value if rng.random() < keep else ""


def _members(pool: list[Person], network: str, rng: random.Random) -> list[Person]:
    members = [p for p in pool if network in p.lists]
    rng.shuffle(members)
    return members


def _person_fields(
    rng: random.Random, person: Person, network: str, keep: dict[str, float]
) -> dict[str, str]:
    """The fields as this network's file has them: the home network knows more."""
    home = person.lists[0] == network
    fields = {}
    for name in FIELDS:
        value = getattr(person, name)
        chance = keep.get(name, 1.0) if home else keep.get(name, 1.0) * 0.7
        fields[name] = value if name in ("first_name", "last_name") else _maybe(rng, value, chance)
    return fields


def _insert(rng: random.Random, rows: list[Row], bad: list[Row]) -> list[Row]:
    rows = list(rows)
    for row in bad:
        rows.insert(rng.randrange(1, len(rows)), row)
    return rows


def _duplicate(rng: random.Random, rows: list[Row], blank: tuple[str, ...]) -> Row:
    """A person's row again, their address in upper case, some fields left empty."""
    original = rng.choice([r for r in rows if r.email.strip()])
    fields = {k: ("" if k in blank else v) for k, v in original.fields.items()}
    return Row(email=original.email.strip().upper(), fields=fields, extra=dict(original.extra))


# --- The four files ----------------------------------------------------------------------------


def cncres(rng: random.Random, pool: list[Person], out: Path) -> list[Row]:
    """CRESS network: Excel in French, cp1252, ';', CRLF."""
    keep = {"role": 0.85, "region": 0.9, "phone": 0.0}
    rows = [
        Row(_variant(rng, p.email) if p.lists[0] != "CNCRES" else p.email,
            _person_fields(rng, p, "CNCRES", keep))
        for p in _members(pool, "CNCRES", rng)
    ]  # fmt: skip
    bad = [
        Row("jean-luc.perrin.example.org", _fields("Jean-Luc", "Perrin", "CRESS Normandie")),
        Row("", _fields("Odile", "Ferrand", "CRESS Grand Est", "Comptable", "Grand Est")),
        Row("n.garnier@example", _fields("Noémie", "Garnier", "CRESS Occitanie")),
        _duplicate(rng, rows, ("role", "region")),
    ]
    rows = _insert(rng, rows, bad)
    headers = ("Courriel", "Prénom", "Nom", "Structure", "Fonction", "Région")
    keys = ("first_name", "last_name", "organisation", "role", "region")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.email, *(row.fields[k] for k in keys)])
        row.fields["phone"] = ""
    out.write_bytes(buffer.getvalue().encode("cp1252"))
    return rows


def coorace(rng: random.Random, pool: list[Person], out: Path) -> list[Row]:
    """COORACE: an XLSX extraction with a title row, last names in capitals, some phones typed as
    numbers (leading zero lost), a join date, a total row, and a notes sheet."""
    keep = {"role": 0.9, "region": 0.95, "phone": 0.75}
    rows = []
    for person in _members(pool, "COORACE", rng):
        fields = _person_fields(rng, person, "COORACE", keep)
        fields["last_name"] = person.last_name.upper()
        joined = datetime(rng.randrange(2008, 2025), rng.randrange(1, 13), rng.randrange(1, 29))
        phone: Any = fields["phone"]
        if phone and rng.random() < 0.25:
            phone = int(phone.replace(" ", ""))  # typed as a number: Excel drops the 0
            fields["phone"] = str(phone)
        email = person.email if person.lists[0] == "COORACE" else _variant(rng, person.email)
        rows.append(
            Row(
                email.strip(),
                fields,
                extra={"Civilité": person.civility, "Date d'adhésion": joined.date().isoformat()},
                cells={"Civilité": person.civility, "Téléphone": phone, "Date d'adhésion": joined},
            )
        )
    duplicate = _duplicate(rng, rows, ("phone",))
    duplicate.email = duplicate.email.lower()  # the same row pasted again, phone and date lost
    duplicate.extra = {"Civilité": duplicate.extra["Civilité"]}
    bad = [
        Row("agnes.morel@@example.fr", _fields("Agnès", "MOREL", "SCIC Mobilités Solidaires")),
        Row("", _fields("Hervé", "TESSIER", "Chantier d'insertion La Passerelle", "Président")),
        duplicate,
    ]
    rows = _insert(rng, rows, bad)
    rows.append(Row("", dict.fromkeys(FIELDS, ""), cells={"Civilité": f"Total : {len(rows)}"}))

    workbook = Workbook()
    workbook.properties.creator = "COORACE"
    workbook.properties.created = datetime(2025, 3, 14, 9, 30)
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Adhérents"
    sheet.append(["COORACE — Fichier des adhérents (extraction du 14/03/2025)"])
    sheet.append([])
    headers = (
        "Civilité", "NOM", "Prénom", "Nom de la structure", "Fonction", "Région", "Téléphone",
        "E-mail", "Date d'adhésion",
    )  # fmt: skip
    sheet.append(headers)
    for row in rows:
        sheet.append(
            [
                row.cells.get("Civilité", row.extra.get("Civilité")),
                row.fields["last_name"] or None,
                row.fields["first_name"] or None,
                row.fields["organisation"] or None,
                row.fields["role"] or None,
                row.fields["region"] or None,
                row.cells.get("Téléphone", row.fields["phone"]) or None,
                row.email or None,
                row.cells.get("Date d'adhésion"),
            ]
        )
    for cell in sheet["I"][3:]:
        cell.number_format = "DD/MM/YYYY"
    notes = workbook.create_sheet("Notes")
    for line in (
        ["Notes de l'équipe vie fédérale"],
        ["Mise à jour", "14/03/2025"],
        ["Source", "Extraction de la base adhérents, à ne pas diffuser hors du réseau"],
        ["Remarque", "Les structures en cours d'adhésion ne figurent pas dans ce fichier"],
    ):
        notes.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    out.write_bytes(_fixed_times(buffer.getvalue()))
    return rows


def _fixed_times(xlsx: bytes) -> bytes:
    """The workbook with its save time and its ZIP entries' times fixed, so that two runs give
    the same bytes."""
    result = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(xlsx)) as source,
        zipfile.ZipFile(result, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>" + XLSX_TIME.encode() + rb"\g<2>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(fixed, data)
    return result.getvalue()


def rtes(rng: random.Random, pool: list[Person], out: Path) -> list[Row]:
    """RTES: a CRM export, UTF-8 with BOM, ',', English headers, LF line ends."""
    keep = {"role": 0.95, "region": 0.8, "phone": 0.5}
    rows = [
        Row(p.email if p.lists[0] == "RTES" else _variant(rng, p.email),
            _person_fields(rng, p, "RTES", keep))
        for p in _members(pool, "RTES", rng)
    ]  # fmt: skip
    bad = [
        Row("helene.roussel@example,org", _fields("Hélène", "Roussel", "Ville de Rennes")),
        Row("", _fields("Tanguy", "Le Goff", "Rennes Métropole", "Chargé de mission ESS")),
        _duplicate(rng, rows, ("phone", "role")),
    ]
    rows = _insert(rng, rows, bad)
    headers = ("Email", "First Name", "Last Name", "Organization", "Job Title", "Region", "Phone")
    keys = ("first_name", "last_name", "organisation", "role", "region", "phone")
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=",", lineterminator="\n")
    writer.writerow(headers)
    for row in rows:
        writer.writerow([row.email, *(row.fields[k] for k in keys)])
    out.write_bytes(buffer.getvalue().encode("utf-8-sig"))
    return rows


def mes(rng: random.Random, pool: list[Person], out: Path) -> list[Row]:
    """MES: a tab-separated export, UTF-8 without BOM, full names in one column, no region; one
    person listed under a work and a personal address."""
    keep = {"role": 0.8, "region": 0.0, "phone": 0.0}
    rows = [
        Row(p.email if p.lists[0] == "MES" else _variant(rng, p.email),
            _person_fields(rng, p, "MES", keep))
        for p in _members(pool, "MES", rng)
    ]  # fmt: skip
    twice = next(r for r in rows if r.fields["organisation"] and "-" not in r.fields["first_name"])
    personal = f"{_slug(twice.fields['first_name'])}{rng.randrange(10, 99)}@example.net"
    bad = [
        Row("francois blanc@example.net", _fields("François", "Blanc", "SCIC Habitat Partagé")),
        Row("<margaux.hamon@example.org>", _fields("Margaux", "Hamon", "Réseau des AMAP")),
        Row("", _fields("Bruno", "Cordier", "Association Finances Solidaires", "Trésorier")),
        _duplicate(rng, rows, ("role",)),
        Row(personal, dict(twice.fields)),
    ]
    rows = _insert(rng, rows, bad)
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter="\t", lineterminator="\n")
    writer.writerow(("Adresse e-mail", "Nom complet", "Organisme", "Poste"))
    for row in rows:
        full_name = f"{row.fields['first_name']} {row.fields['last_name']}".strip()
        writer.writerow([row.email, full_name, row.fields["organisation"], row.fields["role"]])
        # The import splits a full name at its first space.
        first, _, last = full_name.partition(" ")
        row.fields.update(first_name=first, last_name=last.strip(), region="", phone="")
    out.write_bytes(buffer.getvalue().encode("utf-8"))
    return rows


def _fields(
    first: str, last: str, organisation: str = "", role: str = "", region: str = ""
) -> dict[str, str]:
    return {
        "first_name": first, "last_name": last, "organisation": organisation, "role": role,
        "region": region, "phone": "",
    }  # fmt: skip


# --- What importing them must report -----------------------------------------------------------

INVALID = re.compile(r"^[^@\s<>,]+@[a-z0-9-]+(\.[a-z0-9-]+)+$")


def expected_reports(files: dict[str, list[Row]]) -> dict[str, Any]:
    """The counts of contacts.imports.import_contacts for each file, imported in order, worked
    out here on their own: rows, created, updated, unchanged, merged duplicates, rejected."""
    known: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
    reports: dict[str, Any] = {}
    for network, rows in files.items():
        report = dict.fromkeys(
            ("rows", "created", "updated", "unchanged", "merged_duplicates", "rejected"), 0
        )
        in_file: dict[str, tuple[dict[str, str], dict[str, str]]] = {}
        for row in rows:
            report["rows"] += 1
            email = row.email.strip().lower()
            if not INVALID.match(email):
                report["rejected"] += 1
                continue
            fields = {k: " ".join(v.split()) for k, v in row.fields.items()}
            if email in in_file:
                report["merged_duplicates"] += 1
                kept, extra = in_file[email]
                for k, v in fields.items():
                    kept[k] = kept[k] or v
                in_file[email] = (kept, {**row.extra, **extra})
            else:
                in_file[email] = (fields, dict(row.extra))
        for email, (fields, extra) in in_file.items():
            if email not in known:
                report["created"] += 1
                known[email] = (fields, extra)
                continue
            current, current_extra = known[email]
            changes = {k: v for k, v in fields.items() if v and not current[k]}
            merged_extra = {**extra, **current_extra}
            if changes or merged_extra != current_extra:
                report["updated"] += 1
                known[email] = ({**current, **changes}, merged_extra)
            else:
                report["unchanged"] += 1
        report["added_to_list"] = len(in_file)
        reports[network] = report
    return {"reports": reports, "contacts": len(known)}


def main(out_dir: Path = HERE) -> dict[str, Any]:
    """Write the four files into `out_dir`; the counts their import must report."""
    rng = random.Random(SEED)
    pool = people(rng)
    files = {
        "CNCRES": cncres(rng, pool, out_dir / "cncres.csv"),
        "COORACE": coorace(rng, pool, out_dir / "coorace.xlsx"),
        "RTES": rtes(rng, pool, out_dir / "rtes.csv"),
        "MES": mes(rng, pool, out_dir / "mes.csv"),
    }
    expected = expected_reports(files)
    expected["on_several_lists"] = sum(len(p.lists) > 1 for p in pool)
    expected["people"] = len(pool)
    return expected


if __name__ == "__main__":
    json.dump(main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE), sys.stdout, indent=2)
    print()
