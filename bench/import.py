"""Contacts import: a large French mailing-list export imported into a new list.

Each run builds a fresh database (PostgreSQL: the schema of --postgres-url dropped and migrated
again; SQLite: a new file in a temporary directory), writes two seeded, deterministic CSV files
as Excel writes them in France (cp1252, `;`, CRLF), imports the first one (the contacts already
known, `--known` of the second file) into another list without timing it, and then times
`import_contacts(db, settings, path, "BENCH")` on the second one, `--rows` rows, in a fresh
child process.

The second file has the headers Courriel;Prénom;Nom;Structure;Fonction;Région;Téléphone, one
row in 400 refused (bad addresses, an overlong organisation), one in 100 repeating an earlier
address in other letter case, and a quarter of the known contacts bringing a phone number
that the first file lacked (those are "updated"; the other known ones "unchanged").

    .venv/bin/python bench/import.py --database postgres
    .venv/bin/python bench/import.py --database sqlite

Wall time runs from the call to its return. The parse/validate phase ends at the last
"checking" report of the progress callback; the write phase is the rest (likely-duplicate
warnings, suppression lookup, bulk statements, commit). Peak memory is the child's high-water
resident set (VmHWM): on Linux, ru_maxrss is not usable here, because a child started with fork
(or vfork) and exec inherits the parent's peak in it. The child also reports the CPU time it
used, that of its PostgreSQL backends (every connection of the database, the import writing on
two at once; read from /proc: the server must run on this machine) and
how busy all cores were during the call, whoever used them: on a shared machine, a run with
busy neighbours is slower and not comparable with one without.

Prints one line per run and, last, a Markdown table row with the median of the runs and each
run's values. Exits non-zero when a count of the import report or of the database is wrong.
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import resource
import statistics
import sys
import tempfile
import time
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from common import CLOCK_TICKS, cpu_seconds, database_parser, reset_postgres
from sqlalchemy import func, select, text

from contacts.imports import ImportReport, import_contacts
from contacts.models import Contact, MailingList, Membership
from service.config import Settings, load_settings
from service.db import Database
from service.migrate import upgrade

POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_import"
SEED = 20240917
LIST_NAME = "BENCH"
PRELOAD_LIST = "DÉJÀ CONNUS"
HEADERS = ("Courriel", "Prénom", "Nom", "Structure", "Fonction", "Région", "Téléphone")
BAD_EVERY = 400  # one row in 400 refused
DUPLICATE_EVERY = 100  # one row in 100 an earlier address in other letter case
UPDATED_SHARE = 0.25  # of the known contacts, those whose phone the first file lacked
MB = 1024 * 1024

FIRST_NAMES = (
    "Marie", "Jean", "Pierre", "Michel", "Philippe", "Nathalie", "Isabelle", "Sylvie",
    "Catherine", "Françoise", "Christophe", "Stéphane", "Frédéric", "Laurent", "Valérie",
    "Sandrine", "Céline", "Julien", "Nicolas", "Sébastien", "Aurélie", "Émilie", "Hélène",
    "Élodie", "Jérôme", "Cécile", "Gaëlle", "Noémie", "Anaïs", "Zoé", "Maël", "Léa", "Chloé",
    "Inès", "Camille", "Manon", "Thomas", "Antoine", "Mathieu", "Benoît", "Hervé", "Thierry",
    "Pascal", "Dominique", "Martine", "Monique", "Josiane", "Agnès", "Béatrice", "Geneviève",
    "Clémence", "Margaux", "Océane", "Solène", "Yannick", "Gwenaëlle", "Loïc", "Goulven",
    "Karim", "Samir", "Nadia", "Fatima", "Yasmina", "Mehdi", "Sofiane", "Amadou", "Aïssata",
    "Moussa", "Mariama", "Ibrahim", "Lucie", "Juliette", "Louise", "Romain", "Hugo", "Lucas",
    "Théo", "Baptiste", "Rémi", "Grégoire", "Aurélien", "Jean-Marc", "Marie-Claire",
    "Anne-Sophie", "Jean-François", "Pierre-Yves", "Marie-Hélène", "Joël", "Raphaël",
    "Ghislaine",
)  # fmt: skip
LAST_NAMES = (
    "Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand", "Leroy",
    "Moreau", "Simon", "Laurent", "Lefèvre", "Michel", "Garcia", "David", "Bertrand", "Roux",
    "Vincent", "Fournier", "Morel", "Girard", "André", "Lefebvre", "Mercier", "Dupont",
    "Lambert", "Bonnet", "François", "Martinez", "Legrand", "Garnier", "Faure", "Rousseau",
    "Blanc", "Guérin", "Muller", "Henry", "Roussel", "Nicolas", "Perrin", "Morin", "Mathieu",
    "Clément", "Gauthier", "Dumont", "Lopez", "Fontaine", "Chevalier", "Robin", "Masson",
    "Sanchez", "Gérard", "Nguyen", "Boyer", "Denis", "Lemaire", "Duval", "Joly", "Gautier",
    "Roger", "Roche", "Roy", "Noël", "Meyer", "Lucas", "Meunier", "Jean", "Pérez", "Marchand",
    "Dufour", "Blanchard", "Benali", "Haddad", "Traoré", "Diallo", "Le Gall", "Le Goff",
    "Kerboul", "Quéméner", "Étienne", "Bénard", "Lebœuf", "Cœur", "Ménard", "Hébert",
    "Béranger", "Thébault", "Prévost", "Brunet", "Barbier", "Schmitt", "Colin", "Arnaud",
)  # fmt: skip
KINDS = (
    "Association", "CRESS", "Régie de quartier", "Recyclerie", "SCOP", "SCIC",
    "Chantier d'insertion", "Épicerie solidaire", "Ressourcerie", "Entreprise d'insertion",
    "Mutuelle", "Coopérative d'activités", "Centre social", "Maison de l'emploi", "PTCE",
    "Tiers-lieu", "Fondation", "Jardin de cocagne", "Café associatif", "Banque alimentaire",
)  # fmt: skip
PLACES = (
    "Rennes", "Brest", "Quimper", "Lorient", "Vannes", "Nantes", "Angers", "Le Mans", "Tours",
    "Orléans", "Bourges", "Poitiers", "Limoges", "Bordeaux", "Pau", "Bayonne", "Toulouse",
    "Albi", "Montpellier", "Nîmes", "Perpignan", "Marseille", "Toulon", "Nice", "Avignon",
    "Grenoble", "Chambéry", "Annecy", "Lyon", "Saint-Étienne", "Clermont-Ferrand", "Dijon",
    "Besançon", "Mulhouse", "Strasbourg", "Metz", "Nancy", "Reims", "Amiens", "Lille",
    "Roubaix", "Arras", "Rouen", "Le Havre", "Caen", "Cherbourg", "Paris", "Montreuil",
    "Saint-Denis", "Créteil", "Évry", "Cergy", "Versailles", "Ajaccio", "Bastia",
    "Fort-de-France", "Pointe-à-Pitre", "Cayenne", "Saint-Pierre", "Mamoudzou",
)  # fmt: skip
ROLES = (
    "Directeur", "Directrice", "Président", "Présidente", "Trésorier", "Trésorière",
    "Chargé de mission", "Chargée de mission", "Coordinatrice", "Coordinateur",
    "Responsable RH", "Encadrant technique", "Conseillère en insertion", "Bénévole",
    "Secrétaire générale", "Chef de projet", "Animatrice réseau", "Gérant", "Élu", "",
)  # fmt: skip
REGIONS = (
    "Auvergne-Rhône-Alpes", "Bourgogne-Franche-Comté", "Bretagne", "Centre-Val de Loire",
    "Corse", "Grand Est", "Hauts-de-France", "Île-de-France", "Normandie",
    "Nouvelle-Aquitaine", "Occitanie", "Pays de la Loire", "Provence-Alpes-Côte d'Azur",
    "Guadeloupe", "Martinique", "Guyane", "La Réunion", "Mayotte", "",
)  # fmt: skip
WEBMAILS = (
    "orange.fr", "wanadoo.fr", "gmail.com", "free.fr", "laposte.net", "sfr.fr", "yahoo.fr",
    "hotmail.fr", "outlook.fr", "neuf.fr", "bbox.fr", "icloud.com", "protonmail.com",
)  # fmt: skip
BAD_EMAILS = (
    "",  # no address
    "{local}.{domain}",  # no @
    "{local}@@{domain}",
    "{local}@{domain}@{domain}",
    "{local} {local}@{domain}",
    "{local}@{bare}",  # a domain without a dot
    "{local}..x@{domain}",
    "{local}@{domain},",
    "{local}@.{domain}",
)  # fmt: skip


# --- the files ---------------------------------------------------------------------------------


@dataclass
class Expected:
    """What the timed import must report, from how the file was made."""

    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    merged_duplicates: int = 0
    rejected_email: int = 0
    rejected_organisation: int = 0
    contacts_after: int = 0  # contacts in the database once imported

    @property
    def rejected(self) -> int:
        """Rows refused, whatever the column."""
        return self.rejected_email + self.rejected_organisation

    def summary(self) -> dict[str, int]:
        """The ImportReport.summary() the import must give."""
        return {
            "rows": self.rows, "created": self.created, "updated": self.updated,
            "unchanged": self.unchanged, "merged_duplicates": self.merged_duplicates,
            "suppressed": 0, "rejected": self.rejected,
            "added_to_list": self.created + self.updated + self.unchanged,
        }  # fmt: skip


@dataclass
class Person:
    """One row of a file, as its cells."""

    email: str
    first_name: str
    last_name: str
    organisation: str
    role: str
    region: str
    phone: str

    def cells(self) -> list[str]:
        """The cells in HEADERS order."""
        return [
            self.email, self.first_name, self.last_name, self.organisation, self.role,
            self.region, self.phone,
        ]  # fmt: skip


@dataclass
class Files:
    """The two CSV files of a run and what importing the second must report."""

    preload: Path
    bench: Path
    expected: Expected = field(default_factory=Expected)


def slug(text_: str) -> str:
    """ASCII lower case for an address: "Gaëlle Le Goff" -> "gaelle-le-goff"."""
    bare = unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode()
    return "-".join(bare.lower().replace("'", " ").split())


def organisations(rng: random.Random) -> list[tuple[str, str]]:
    """Organisations and their mail domains, one per kind and place."""
    found = []
    for kind in KINDS:
        for place in PLACES:
            name = f"{kind} {place}"
            found.append((name, f"{slug(name)}.{rng.choice(('fr', 'org', 'asso.fr', 'coop'))}"))
    return found


def phone(rng: random.Random) -> str:
    """A French phone number as people type them, or nothing (one in six)."""
    if rng.random() < 1 / 6:
        return ""
    digits = [rng.choice("67"), *(rng.choice("0123456789") for _ in range(8))]
    pairs = ["".join(digits[i : i + 2]) for i in range(1, 9, 2)]
    if rng.random() < 0.2:
        return f"+33 {digits[0]} {' '.join(pairs)}"
    return f"0{digits[0]} {' '.join(pairs)}"


def address(rng: random.Random, first: str, last: str, domain: str, taken: set[str]) -> str:
    """A new address for this person, in one of the usual shapes, unique in `taken`."""
    given, family = slug(first), slug(last)
    shape = rng.random()
    if shape < 0.5:
        local = f"{given}.{family}"
    elif shape < 0.7:
        local = f"{given[0]}.{family}"
    elif shape < 0.8:
        local = f"{given}{family}"
    elif shape < 0.998:
        local = f"{family}.{given}"
    else:  # an internationalised address, valid with SMTPUTF8
        local = f"{first.lower()}.{family}"
    email, number = f"{local}@{domain}", 1
    while email.lower() in taken:
        number += 1
        email = f"{local}{number}@{domain}"
    taken.add(email.lower())
    return email


def person(rng: random.Random, orgs: list[tuple[str, str]], taken: set[str]) -> Person:
    """A plausible contact of the social economy."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    organisation, org_domain = rng.choice(orgs)
    domain = org_domain if rng.random() < 0.55 else rng.choice(WEBMAILS)
    if rng.random() < 0.1:
        organisation = ""
    return Person(
        email=address(rng, first, last, domain, taken),
        first_name=first,
        last_name=last,
        organisation=organisation,
        role=rng.choice(ROLES),
        region=rng.choice(REGIONS),
        phone=phone(rng),
    )


def other_case(rng: random.Random, email: str) -> str:
    """The same address as someone else typed it: other letter case, maybe spaces around."""
    local, _, domain = email.partition("@")
    shape = rng.choice(("upper", "title", "domain"))
    if shape == "upper":
        typed = email.upper()
    elif shape == "title":
        typed = f"{'.'.join(p.capitalize() for p in local.split('.'))}@{domain.capitalize()}"
    else:
        typed = f"{local}@{domain.upper()}"
    return f" {typed} " if rng.random() < 0.3 else typed


def bad_row(rng: random.Random, index: int, orgs: list[tuple[str, str]]) -> tuple[Person, str]:
    """A row the import must refuse, and the field it must name."""
    sound = person(rng, orgs, set())
    local = f"refuse{index}"
    if index % 10 == 9:  # a valid address but an organisation over 300 characters
        sound.email = f"{local}@{WEBMAILS[index % len(WEBMAILS)]}"
        sound.organisation = (f"{sound.organisation or 'Association'} – " * 40)[:310]
        return sound, "organisation"
    domain = sound.email.partition("@")[2]
    pattern = BAD_EMAILS[index % 10]
    sound.email = pattern.format(local=local, domain=domain, bare=domain.split(".")[0])
    return sound, "email"


def write_csv(path: Path, people: list[Person]) -> None:
    """A CSV as Excel saves it in France: cp1252, semicolons, CRLF."""
    with path.open("w", encoding="cp1252", newline="") as file:
        writer = csv.writer(file, delimiter=";", lineterminator="\r\n")
        writer.writerow(HEADERS)
        writer.writerows(p.cells() for p in people)


def make_files(workdir: Path, rows: int, known_share: float) -> Files:
    """The file of known contacts and the `rows`-row file to time, with what to expect."""
    rng = random.Random(SEED)
    orgs = organisations(rng)
    bad, duplicates = rows // BAD_EVERY, rows // DUPLICATE_EVERY
    unique = rows - bad - duplicates
    taken: set[str] = set()
    people = [person(rng, orgs, taken) for _ in range(unique)]
    known = people[: round(unique * known_share)]
    with_phone = [p for p in known if p.phone]
    updated = rng.sample(with_phone, round(len(known) * UPDATED_SHARE))
    updated_ids = {id(p) for p in updated}
    preload = [Person(**{**vars(p), "phone": ""}) if id(p) in updated_ids else p for p in known]
    expected = Expected(
        rows=rows,
        created=unique - len(known),
        updated=len(updated),
        unchanged=len(known) - len(updated),
        merged_duplicates=duplicates,
        contacts_after=unique,
    )
    lines = list(people)
    for original in rng.sample(people, duplicates):
        lines.append(Person(**{**vars(original), "email": other_case(rng, original.email)}))
    for index in range(bad):
        refused, column = bad_row(rng, index, orgs)
        lines.append(refused)
        if column == "email":
            expected.rejected_email += 1
        else:
            expected.rejected_organisation += 1
    rng.shuffle(preload)
    rng.shuffle(lines)
    files = Files(workdir / "deja-connus.csv", workdir / "bench.csv", expected)
    write_csv(files.preload, preload)
    write_csv(files.bench, lines)
    return files


# --- the database ------------------------------------------------------------------------------


def fresh_database(args: argparse.Namespace, workdir: Path) -> str:
    """The URL of an empty database at the head migration."""
    if args.database == "postgres":
        url = args.postgres_url
        reset_postgres(url)
    else:
        url = f"sqlite:///{workdir / 'import.sqlite'}"
    upgrade(url)
    return url


def environment(url: str, workdir: Path) -> dict[str, str]:
    """The settings of the benchmark's processes."""
    return {
        "DATABASE_URL": url,
        "SECRET_KEY": "bench-import-secret-key-0123456789",
        "CONVIER_VAR_DIR": str(workdir),
    }


def preload(url: str, settings: Settings, path: Path) -> ImportReport:
    """Import the known contacts into another list (not timed), then refresh the statistics."""
    database = Database(url)
    try:
        report = import_contacts(database, settings, path, PRELOAD_LIST)
        if not database.is_sqlite:
            with database.engine.connect().execution_options(
                isolation_level="AUTOCOMMIT"
            ) as connection:
                connection.execute(text("VACUUM ANALYZE"))
    finally:
        database.dispose()
    return report


def database_counts(url: str) -> tuple[int, int]:
    """Contacts in the database, and members of the benchmark list."""
    database = Database(url)
    try:
        with database.transaction(write=False) as session:
            contacts = session.scalar(select(func.count()).select_from(Contact))
            members = session.scalar(
                select(func.count())
                .select_from(Membership)
                .join(MailingList)
                .where(MailingList.name == LIST_NAME)
            )
    finally:
        database.dispose()
    return contacts or 0, members or 0


# --- the timed import, in a child process -------------------------------------------------------


@dataclass
class Measure:
    """What the child measured of one import, and what the import reported."""

    wall: float
    check: float
    write: float
    peak_mb: float
    before_mb: float
    cpu: float  # seconds of the importing process
    backend_cpu: float  # seconds of its PostgreSQL backends (NaN on SQLite)
    machine_busy: float  # share of all cores busy during the import, whoever used them
    summary: dict[str, int]
    error_columns: dict[str, int]
    warnings: int


@dataclass(frozen=True)
class Clock:
    """The instant, and the CPU seconds used so far by this process, by a PostgreSQL backend
    and by the whole machine (busy, and in all)."""

    wall: float
    process: float
    backend: float
    machine_busy: float
    machine_total: float

    @classmethod
    def now(cls, database: Database) -> Clock:
        """Read the clocks (Linux /proc)."""
        usage = resource.getrusage(resource.RUSAGE_SELF)
        with open("/proc/stat") as stat:
            ticks = [int(n) for n in stat.readline().split()[1:9]]
        idle = ticks[3] + ticks[4]  # idle and waiting for I/O
        return cls(
            wall=time.perf_counter(),
            process=usage.ru_utime + usage.ru_stime,
            backend=backends_cpu(database),
            machine_busy=(sum(ticks) - idle) / CLOCK_TICKS,
            machine_total=sum(ticks) / CLOCK_TICKS,
        )


def process_cpu(pid: int) -> float:
    """CPU seconds (user and system) of a process of this machine, NaN if it cannot be read."""
    seconds = cpu_seconds(pid)
    return math.nan if seconds is None else seconds


def memory_mb(key: str) -> float:
    """A figure of /proc/self/status in MB (VmHWM: peak, VmRSS: now); ru_maxrss elsewhere."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(f"{key}:"):
                    return int(line.split()[1]) * 1024 / MB
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / MB


def backends_cpu(database: Database) -> float:
    """CPU seconds of the PostgreSQL backends connected to the database (NaN on SQLite): the
    import's connections, which end up all open in its pool."""
    if database.is_sqlite:
        return math.nan
    with database.engine.connect() as connection:
        pids = connection.scalars(
            text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
        ).all()
    return sum(process_cpu(pid) for pid in pids)


def timed_import(env: dict[str, str], path: Path) -> Measure:
    """Run in a fresh process: the import of `path` into LIST_NAME, timed and measured."""
    settings = load_settings(env)
    database = Database(settings.database_url)
    last_check = 0.0

    def progress(phase: str, _done: int, _total: int | None) -> None:
        nonlocal last_check
        if phase == "checking":
            last_check = time.perf_counter()

    before = memory_mb("VmRSS")
    start = Clock.now(database)
    report = import_contacts(database, settings, path, LIST_NAME, progress=progress)
    end = Clock.now(database)
    peak = memory_mb("VmHWM")
    database.dispose()
    columns: dict[str, int] = {}
    for error in report.errors:
        columns[error.column] = columns.get(error.column, 0) + 1
    return Measure(
        wall=end.wall - start.wall,
        check=last_check - start.wall,
        write=end.wall - last_check,
        peak_mb=peak,
        before_mb=before,
        cpu=end.process - start.process,
        backend_cpu=end.backend - start.backend,
        machine_busy=(end.machine_busy - start.machine_busy)
        / (end.machine_total - start.machine_total),
        summary=report.summary(),
        error_columns=columns,
        warnings=len(report.warnings),
    )


def in_child(env: dict[str, str], path: Path) -> Measure:
    """timed_import in a new interpreter, so that its memory is its own."""
    context = get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, max_tasks_per_child=1) as pool:
        return pool.submit(timed_import, env, path).result()


# --- runs and results ---------------------------------------------------------------------------


@dataclass
class RunResult:
    """One run: the measure and the checks that failed."""

    measure: Measure
    failures: list[str]


def check(files: Files, measure: Measure, counts: tuple[int, int]) -> list[str]:
    """What differs from the expected counts, in the report and in the database."""
    expected = files.expected
    failures = [
        f"{name}: {measure.summary.get(name)} instead of {value}"
        for name, value in expected.summary().items()
        if measure.summary.get(name) != value
    ]
    by_column = {"Courriel": expected.rejected_email, "Structure": expected.rejected_organisation}
    columns = {column: count for column, count in by_column.items() if count}
    if measure.error_columns != columns:
        failures.append(f"refused by column: {measure.error_columns} instead of {columns}")
    wanted = (expected.contacts_after, expected.summary()["added_to_list"])
    if counts != wanted:
        failures.append(f"contacts, list members in the database: {counts} instead of {wanted}")
    return failures


def one_run(args: argparse.Namespace, workdir: Path) -> RunResult:
    """Fresh database and files, the known contacts loaded, then the timed import and checks."""
    url = fresh_database(args, workdir)
    env = environment(url, workdir)
    files = make_files(workdir, args.rows, args.known)
    known = preload(url, load_settings(env), files.preload)
    if known.created != files.expected.updated + files.expected.unchanged or known.errors:
        raise SystemExit(f"the known contacts were not all loaded: {known.summary()}")
    measure = in_child(env, files.bench)
    return RunResult(measure, check(files, measure, database_counts(url)))


def describe(result: RunResult) -> str:
    """One line about one run."""
    m = result.measure
    checks = "; ".join(result.failures) or "all counts right"
    backend = "" if math.isnan(m.backend_cpu) else f", PostgreSQL backend {m.backend_cpu:.2f} s"
    return (
        f"{m.wall:6.2f} s (parse+validate {m.check:5.2f} s, write {m.write:5.2f} s); peak RSS "
        f"{m.peak_mb:4.0f} MB ({m.before_mb:.0f} MB before the call); CPU {m.cpu:.2f} s"
        f"{backend}, machine {m.machine_busy:.0%} busy; "
        f"{m.summary}; {m.warnings} likely-duplicate warnings; {checks}"
    )


TABLE_HEADER = (
    "| database | rows (known) | wall s | parse+validate s | write s | peak RSS MB "
    "| RSS before the call MB | CPU s: import / PostgreSQL | machine busy "
    "| created / updated / unchanged / merged / rejected | checks |\n"
    "|---|---|---|---|---|---|---|---|---|---|---|"
)


def cell(values: list[float], digits: int, unit: str = "") -> str:
    """The median in bold, then each run's value: "**7.9** (7.8 / 7.9 / 8.3)"."""
    each = " / ".join(f"{v:.{digits}f}{unit}" for v in values)
    return f"**{statistics.median(values):.{digits}f}{unit}** ({each})"


def table_row(args: argparse.Namespace, results: list[RunResult]) -> str:
    """A Markdown table row under TABLE_HEADER."""
    measures = [r.measure for r in results]
    summary = measures[0].summary
    counts = " / ".join(
        str(summary[name])
        for name in ("created", "updated", "unchanged", "merged_duplicates", "rejected")
    )
    failed = sum(bool(r.failures) for r in results)
    cpu = statistics.median(m.cpu for m in measures)
    backend = statistics.median(m.backend_cpu for m in measures)
    cells = [
        args.database,
        f"{args.rows:,} ({args.known:.0%})".replace(",", " "),
        cell([m.wall for m in measures], 2),
        cell([m.check for m in measures], 2),
        cell([m.write for m in measures], 2),
        cell([m.peak_mb for m in measures], 0),
        f"{statistics.median(m.before_mb for m in measures):.0f}",
        f"{cpu:.1f} / –" if math.isnan(backend) else f"{cpu:.1f} / {backend:.1f}",
        cell([m.machine_busy * 100 for m in measures], 0, " %"),
        counts,
        f"{failed}/{len(results)} FAIL" if failed else f"{len(results)}/{len(results)} pass",
    ]
    return "| " + " | ".join(cells) + " |"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = database_parser(__doc__.split("\n\n")[0], POSTGRES_URL)
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the timed file")
    parser.add_argument("--known", type=float, default=0.2, help="share already in the database")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark `--runs` times and print the table row; 1 when a count was wrong."""
    args = parse_args(argv)
    results = []
    for run in range(1, args.runs + 1):
        with tempfile.TemporaryDirectory(prefix="convier-import-") as workdir:
            result = one_run(args, Path(workdir))
        results.append(result)
        print(f"run {run}/{args.runs}: {describe(result)}", flush=True)
    print(TABLE_HEADER)
    print(table_row(args, results))
    return 0 if all(not r.failures for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
