"""The sender domain's SPF, DKIM and DMARC read from a DNS stand-in on 127.0.0.1: each state
and its reason, a silent server within the time budget, answers kept a few minutes, nothing
asked for test domains; and the DNS_NAMESERVER setting."""

from __future__ import annotations

import pytest

from service.config import ConfigError, load_settings
from service.sending.domain_checks import (
    State,
    applies,
    check_domain,
    forget,
    sender_domain,
)
from tests.standins.dns_server import DnsStandIn, Records, silent_server

DOMAIN = "pole-ptce.fr"
SPF_OK = "v=spf1 include:_spf.google.com include:sendgrid.net ~all"
DKIM = {
    f"s1._domainkey.{DOMAIN}": {"CNAME": ["s1.domainkey.u1234.wl.sendgrid.net."]},
    f"s2._domainkey.{DOMAIN}": {"CNAME": ["s2.domainkey.u1234.wl.sendgrid.net."]},
}
DMARC = {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=quarantine; rua=mailto:dmarc@pole-ptce.fr"]}}


@pytest.fixture(autouse=True)
def _nothing_kept():
    """Each test asks its own stand-in (a port of an earlier one may come back)."""
    forget()


def records(spf: list[str] | None = None, **parts: Records) -> Records:
    """The domain's records: its TXT at the apex (`spf`), then DKIM and DMARC unless a part
    given by name replaces them (`dkim={}`: none)."""
    apex = {DOMAIN: {"TXT": ["google-site-verification=abc", *(spf or [SPF_OK])]}}
    return apex | parts.get("dkim", DKIM) | parts.get("dmarc", DMARC)


def states(found) -> dict[str, tuple[State, str]]:
    return {check.name: (check.state, check.reason) for check in found.checks}


def test_a_domain_fully_set_up_is_ok_with_the_records_found():
    with DnsStandIn(records()) as dns:
        found = check_domain(DOMAIN, dns.address)
    assert found.applies
    assert found.all_ok
    assert states(found) == {
        "spf": (State.OK, "spf_ok"),
        "dkim": (State.OK, "dkim_ok"),
        "dmarc": (State.OK, "dmarc_enforced"),
    }
    spf, dkim, dmarc = found.checks
    assert spf.records == ((DOMAIN, SPF_OK),)  # the site verification is not an SPF record
    assert dkim.records == (
        (f"s1._domainkey.{DOMAIN}", "s1.domainkey.u1234.wl.sendgrid.net."),
        (f"s2._domainkey.{DOMAIN}", "s2.domainkey.u1234.wl.sendgrid.net."),
    )
    assert dmarc.values == {"domain": DOMAIN, "policy": "quarantine"}


def test_spf_without_sendgrid_is_incomplete():
    spf = "v=spf1 mx include:_spf.google.com -all"
    with DnsStandIn(records([spf])) as dns:
        found = check_domain(DOMAIN, dns.address)
    assert states(found)["spf"] == (State.INCOMPLETE, "spf_no_sendgrid")
    assert found.checks[0].records == ((DOMAIN, spf),)
    assert not found.all_ok


def test_two_spf_records_are_incomplete_and_none_is_missing():
    with DnsStandIn(records([SPF_OK, "v=spf1 mx -all"])) as dns:
        assert states(check_domain(DOMAIN, dns.address))["spf"] == (
            State.INCOMPLETE, "spf_several"
        )  # fmt: skip
    with DnsStandIn(records(["not spf"])) as dns:
        assert states(check_domain(DOMAIN, dns.address))["spf"] == (State.MISSING, "spf_missing")


def test_no_dmarc_is_missing_and_p_none_is_ok():
    with DnsStandIn(records(dmarc={})) as dns:
        assert states(check_domain(DOMAIN, dns.address))["dmarc"] == (
            State.MISSING, "dmarc_missing"
        )  # fmt: skip
    watching = {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=none"]}}
    with DnsStandIn(records(dmarc=watching)) as dns:
        found = check_domain(DOMAIN, dns.address)
    assert states(found)["dmarc"] == (State.OK, "dmarc_none")
    assert found.checks[2].values["policy"] == "none"


def test_a_dmarc_record_without_a_policy_is_incomplete():
    broken = {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; rua=mailto:d@pole-ptce.fr"]}}
    with DnsStandIn(records(dmarc=broken)) as dns:
        assert states(check_domain(DOMAIN, dns.address))["dmarc"] == (
            State.INCOMPLETE, "dmarc_no_policy"
        )  # fmt: skip


def test_a_subdomain_without_dmarc_follows_its_parents_subdomain_policy():
    sub = f"news.{DOMAIN}"
    parent = {f"_dmarc.{DOMAIN}": {"TXT": ["v=DMARC1; p=reject; sp=none"]}}
    with DnsStandIn({sub: {"TXT": [SPF_OK]}} | parent) as dns:
        found = check_domain(sub, dns.address)
        assert (f"_dmarc.{sub}", "TXT") in dns.asked
    dmarc = found.checks[2]
    assert (dmarc.state, dmarc.reason, dmarc.values["policy"]) == (State.OK, "dmarc_none", "none")
    assert dmarc.records == ((f"_dmarc.{DOMAIN}", "v=DMARC1; p=reject; sp=none"),)


def test_a_missing_dkim_cname_makes_dkim_incomplete_and_none_missing():
    one = {f"s1._domainkey.{DOMAIN}": DKIM[f"s1._domainkey.{DOMAIN}"]}
    with DnsStandIn(records(dkim=one)) as dns:
        dkim = check_domain(DOMAIN, dns.address).checks[1]
    assert (dkim.state, dkim.reason) == (State.INCOMPLETE, "dkim_partial")
    assert dkim.values["names"] == f"s2._domainkey.{DOMAIN}"
    with DnsStandIn(records(dkim={})) as dns:
        dkim = check_domain(DOMAIN, dns.address).checks[1]
    assert (dkim.state, dkim.reason, dkim.records) == (State.MISSING, "dkim_missing", ())


def test_dkim_records_pointing_elsewhere_are_incomplete_and_txt_keys_count():
    elsewhere = DKIM | {f"s2._domainkey.{DOMAIN}": {"CNAME": ["s2.dkim.mailjet.com."]}}
    with DnsStandIn(records(dkim=elsewhere)) as dns:
        dkim = check_domain(DOMAIN, dns.address).checks[1]
    assert (dkim.state, dkim.reason) == (State.INCOMPLETE, "dkim_elsewhere")
    assert dkim.values["names"] == f"s2._domainkey.{DOMAIN}"
    keys = {f"{s}._domainkey.{DOMAIN}": {"TXT": ["k=rsa; t=s; p=MIGfMA0GCSqGSIb3"]}
            for s in ("s1", "s2")}  # fmt: skip
    with DnsStandIn(records(dkim=keys)) as dns:
        assert states(check_domain(DOMAIN, dns.address))["dkim"] == (State.OK, "dkim_ok")


def test_a_server_that_never_answers_is_a_failed_lookup_within_the_budget():
    # How long it takes is not asserted here (a busy machine must not fail the suite): the
    # budget is shared by the lookups, and a silent server makes each of them a failure.
    with silent_server() as address:
        found = check_domain(DOMAIN, address, budget=0.3)
    assert states(found) == dict.fromkeys(("spf", "dkim", "dmarc"), (State.FAILED, "failed"))


def test_a_server_that_refuses_is_a_failed_lookup():
    with DnsStandIn(records(), refusing=True) as dns:
        found = check_domain(DOMAIN, dns.address)
        assert dns.asked  # it was asked, and said no
    assert {check.state for check in found.checks} == {State.FAILED}


def test_answers_are_kept_and_a_failure_is_not_an_exception():
    with DnsStandIn(records()) as dns:
        first = check_domain(DOMAIN, dns.address)
        asked = len(dns.asked)
        assert asked >= 4
        assert check_domain(DOMAIN, dns.address) is first
        assert len(dns.asked) == asked  # nothing asked again
    # A DNS_NAMESERVER no resolver accepts fails the lookups, it does not raise.
    found = check_domain(DOMAIN, ("127.0.0.1", 0), budget=0.3)
    assert {check.state for check in found.checks} == {State.FAILED}


def test_test_domains_are_not_looked_up():
    with DnsStandIn(records()) as dns:
        for domain in ("localhost", "example.org", "news.example.fr", "convier.test", "intranet"):
            found = check_domain(domain, dns.address)
            assert (found.applies, found.checks, found.all_ok) == (False, (), False), domain
        assert dns.asked == []
    assert applies(DOMAIN)
    assert applies("labo-ess.org")
    assert sender_domain("Convier <Convier@Pole-PTCE.fr>") == DOMAIN
    assert sender_domain("convier@localhost") == "localhost"


def test_dns_nameserver_is_an_address_with_an_optional_port(tmp_path):
    def read(value: str):
        return load_settings({"CONVIER_VAR_DIR": str(tmp_path), "DNS_NAMESERVER": value})

    assert load_settings({"CONVIER_VAR_DIR": str(tmp_path)}).dns_server is None
    assert read("192.0.2.53").dns_server == ("192.0.2.53", 53)
    assert read("127.0.0.1:5353").dns_server == ("127.0.0.1", 5353)
    assert read("[::1]:5353").dns_server == ("::1", 5353)
    assert read("2001:db8::53").dns_server == ("2001:db8::53", 53)
    for bad in ("dns.pole-ptce.fr", "127.0.0.1:99999", "127.0.0.1:x"):
        with pytest.raises(ConfigError) as refused:
            read(bad)
        assert [p.split(":")[0] for p in refused.value.problems] == ["DNS_NAMESERVER"], bad
