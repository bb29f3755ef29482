"""The sender domain's authentication, as the recipients' mail servers will see it: SPF (may
SendGrid send for the domain?), DKIM through SendGrid's domain authentication (the `s1` and `s2`
`_domainkey` records) and DMARC (what receivers do with mail failing both).

Read from DNS within a short time budget; a lookup that fails is a state of its own, never an
exception. The answers are kept a few minutes per process, so that a page does not wait on DNS
each time it is shown. The page explains each `reason` in words (service/manage)."""

from __future__ import annotations

import enum
import re
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import parseaddr
from typing import Any

import dns.exception
import dns.name
import dns.resolver

from service.config import Settings
from service.db import utcnow

BUDGET_SECONDS = 2.0  # for all the lookups of one domain together
KEPT_SECONDS = 600.0  # how long an answer is reused…
KEPT_FAILED_SECONDS = 60.0  # …or, when a lookup failed, before trying again
SENDGRID = dns.name.from_text("sendgrid.net.")
DKIM_SELECTORS = ("s1", "s2")  # the two records SendGrid's domain authentication asks for
POLICIES = ("none", "quarantine", "reject")
# Top-level names no one outside can send or receive mail for (RFC 2606, RFC 6761, local use).
LOCAL_SUFFIXES = ("localhost", "test", "invalid", "example", "local", "internal", "lan", "home")
SPF = re.compile(r"v=spf1(\s|$)", re.IGNORECASE)
DMARC = re.compile(r"v\s*=\s*DMARC1\s*(;|$)", re.IGNORECASE)
DKIM_KEY = re.compile(r"(^v\s*=\s*DKIM1\s*(;|$))|((^|;)\s*p\s*=\s*[A-Za-z0-9+/])", re.IGNORECASE)

Server = tuple[str, int]  # a DNS server's address and port


class State(enum.StrEnum):
    """Where one record stands."""

    OK = "ok"
    MISSING = "missing"
    INCOMPLETE = "incomplete"
    FAILED = "failed"  # no usable answer in time: nothing is known


@dataclass(frozen=True)
class Check:
    """One record's state. `reason` names what the page explains, `values` fill that
    explanation (always the domain), `records` is what DNS holds: (name, text) pairs."""

    name: str  # "spf", "dkim" or "dmarc"
    state: State
    reason: str
    records: tuple[tuple[str, str], ...] = ()
    values: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DomainReport:
    """The checks of one sender domain; none when the domain is a local or test name."""

    domain: str
    applies: bool
    checks: tuple[Check, ...] = ()
    checked_at: datetime | None = None

    @property
    def all_ok(self) -> bool:
        """Every record is in place."""
        return self.applies and all(check.state is State.OK for check in self.checks)


class _Failed(Exception):
    """DNS gave no usable answer (time out, server error, budget spent)."""


class _Lookup:
    """The lookups of one domain, sharing one deadline."""

    def __init__(self, server: Server | None, budget: float) -> None:
        self.resolver = dns.resolver.Resolver(configure=server is None)
        if server is not None:
            self.resolver.nameservers = [server[0]]
            self.resolver.port = server[1]
        # A dead server among the system's must leave time to ask the next one.
        self.resolver.timeout = budget / 2
        self.deadline = time.monotonic() + budget

    def records(self, name: str, rdtype: str) -> list[Any]:
        """The records of `name` of that type; none when it has none (or does not exist)."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _Failed
        try:
            answer = self.resolver.resolve(name, rdtype, lifetime=left, search=False)
        except (dns.resolver.NXDOMAIN, dns.resolver.NoAnswer):
            return []
        except (dns.exception.DNSException, OSError, ValueError) as exc:
            raise _Failed from exc
        return list(answer)

    def texts(self, name: str) -> list[str]:
        """The TXT records of `name`, each as one string."""
        return [
            b"".join(record.strings).decode("utf-8", "replace")
            for record in self.records(name, "TXT")
        ]


def _check(name: str, state: State, reason: str, domain: str,
           records: list[tuple[str, str]] | None = None, **values: str) -> Check:  # fmt: skip
    return Check(name, state, reason, tuple(records or ()), {"domain": domain, **values})


def _spf(lookup: _Lookup, domain: str) -> Check:
    found = [(domain, text) for text in lookup.texts(domain) if SPF.match(text.strip())]
    if not found:
        return _check("spf", State.MISSING, "spf_missing", domain)
    if len(found) > 1:  # receivers then treat SPF as broken (RFC 7208, 4.5)
        return _check("spf", State.INCOMPLETE, "spf_several", domain, found)
    terms = found[0][1].lower().split()
    if any(term.lstrip("+") == "include:sendgrid.net" for term in terms):
        return _check("spf", State.OK, "spf_ok", domain, found)
    return _check("spf", State.INCOMPLETE, "spf_no_sendgrid", domain, found)


def _dkim(lookup: _Lookup, domain: str) -> Check:
    signing: list[str] = []
    elsewhere: list[str] = []
    absent: list[str] = []
    found: list[tuple[str, str]] = []
    for selector in DKIM_SELECTORS:
        name = f"{selector}._domainkey.{domain}"
        targets = [record.target for record in lookup.records(name, "CNAME")]
        if targets:
            found.append((name, targets[0].to_text()))
            (signing if targets[0].is_subdomain(SENDGRID) else elsewhere).append(name)
            continue
        # Without automated security, SendGrid has the key itself published as TXT.
        keys = [text for text in lookup.texts(name) if DKIM_KEY.search(text.strip())]
        found += [(name, key) for key in keys[:1]]
        (signing if keys else absent).append(name)
    if len(signing) == len(DKIM_SELECTORS):
        return _check("dkim", State.OK, "dkim_ok", domain, found)
    if elsewhere:
        names = ", ".join(elsewhere)
        return _check("dkim", State.INCOMPLETE, "dkim_elsewhere", domain, found, names=names)
    if not signing:
        return _check("dkim", State.MISSING, "dkim_missing", domain, found)
    names = ", ".join(absent)
    return _check("dkim", State.INCOMPLETE, "dkim_partial", domain, found, names=names)


def _organisational(domain: str) -> str | None:
    """The domain whose DMARC record covers `domain` when it has none of its own (RFC 7489,
    6.6.3): guessed as the last two labels, without the public suffix list; wrong only under
    suffixes such as co.uk, where no one publishes a record anyway."""
    labels = domain.split(".")
    return ".".join(labels[-2:]) if len(labels) > 2 else None


def _dmarc(lookup: _Lookup, domain: str) -> Check:
    at, parent = f"_dmarc.{domain}", _organisational(domain)
    found = [(at, text) for text in lookup.texts(at) if DMARC.match(text.strip())]
    if not found and parent:
        at = f"_dmarc.{parent}"
        found = [(at, text) for text in lookup.texts(at) if DMARC.match(text.strip())]
    if not found:
        return _check("dmarc", State.MISSING, "dmarc_missing", domain)
    if len(found) > 1:  # receivers then ignore them all (RFC 7489, 6.6.3)
        return _check("dmarc", State.INCOMPLETE, "dmarc_several", domain, found)
    tags = dict(part.strip().partition("=")[::2] for part in found[0][1].split(";"))
    tags = {key.strip().lower(): value.strip().lower() for key, value in tags.items()}
    policy = tags.get("p", "")
    if at != f"_dmarc.{domain}":
        policy = tags.get("sp", policy)  # a subdomain follows its parent's `sp`, if it says one
    if policy not in POLICIES:
        return _check("dmarc", State.INCOMPLETE, "dmarc_no_policy", domain, found)
    reason = "dmarc_none" if policy == "none" else "dmarc_enforced"
    return _check("dmarc", State.OK, reason, domain, found, policy=policy)


CHECKS = {"spf": _spf, "dkim": _dkim, "dmarc": _dmarc}
_kept: dict[tuple[str, Server | None], tuple[float, DomainReport]] = {}
_kept_lock = threading.Lock()


def sender_domain(mail_from: str) -> str:
    """The domain of a From address ('Convier <convier@pole-ptce.fr>' → 'pole-ptce.fr')."""
    return parseaddr(mail_from)[1].rpartition("@")[2].strip().rstrip(".").lower()


def applies(domain: str) -> bool:
    """Whether mail from `domain` goes out to the world: not a local, test or example name
    (localhost, example.org, *.test…), not an address literal."""
    labels = domain.split(".")
    if len(labels) < 2 or not all(labels) or domain.startswith("[") or labels[-1].isdecimal():
        return False
    return labels[-1] not in LOCAL_SUFFIXES and labels[-2] != "example"


def _look_up(domain: str, server: Server | None, budget: float) -> DomainReport:
    checks = []
    try:
        lookup: _Lookup | None = _Lookup(server, budget)
    except (dns.exception.DNSException, OSError, ValueError):  # no resolver configured
        lookup = None
    for name, check in CHECKS.items():
        try:
            if lookup is None:
                raise _Failed
            checks.append(check(lookup, domain))
        except _Failed:
            checks.append(_check(name, State.FAILED, "failed", domain))
    return DomainReport(domain, True, tuple(checks), utcnow())


def check_domain(
    domain: str, server: Server | None = None, budget: float = BUDGET_SECONDS
) -> DomainReport:
    """SPF, DKIM and DMARC of `domain`, asked of `server` (default: the system's resolver)
    within `budget` seconds, or as found in the last few minutes; nothing is asked for a local
    or test domain."""
    if not applies(domain):
        return DomainReport(domain, False)
    key = (domain, server)
    with _kept_lock:
        until, report = _kept.get(key, (0.0, None))
    if report is not None and time.monotonic() < until:
        return report
    report = _look_up(domain, server, budget)
    failed = any(check.state is State.FAILED for check in report.checks)
    with _kept_lock:
        _kept[key] = (time.monotonic() + (KEPT_FAILED_SECONDS if failed else KEPT_SECONDS), report)
    return report


def forget() -> None:
    """Drop every answer kept: the next check asks DNS again."""
    with _kept_lock:
        _kept.clear()


def of_sender(settings: Settings) -> DomainReport:
    """The checks of the domain MAIL_FROM sends from, asked of DNS_NAMESERVER when set."""
    return check_domain(sender_domain(settings.mail_from), settings.dns_server)
