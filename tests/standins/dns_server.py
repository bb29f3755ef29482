"""A DNS server on 127.0.0.1 answering from a dict of records, for tests that must never reach
the internet; and a port where a server takes questions and never answers.

    with DnsStandIn({"pole-ptce.fr": {"TXT": ["v=spf1 include:sendgrid.net ~all"]}}) as dns:
        check_domain("pole-ptce.fr", dns.address)

A name absent from the dict is NXDOMAIN; a name asked for a type it lacks answers its CNAME if it
has one (not followed further), else nothing. `refusing=True`: every question is REFUSED, as by a
server that serves no one. `asked` lists every (name, type) asked, in order.
"""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

Records = dict[str, dict[str, list[str]]]  # name → type → values ("TXT" values unquoted)


class _Answer(socketserver.BaseRequestHandler):
    server: _Server

    def handle(self) -> None:
        data, sock = self.request
        query = dns.message.from_wire(data)
        response = dns.message.make_response(query)
        question = query.question[0]
        name = question.name.to_text(omit_final_dot=True).lower()
        rdtype = dns.rdatatype.to_text(question.rdtype)
        self.server.asked.append((name, rdtype))
        records = self.server.records.get(name)
        if self.server.refusing:
            response.set_rcode(dns.rcode.REFUSED)
        elif records is None:
            response.set_rcode(dns.rcode.NXDOMAIN)
        elif values := records.get(rdtype) or records.get("CNAME"):
            kind = rdtype if rdtype in records else "CNAME"
            texts = [_quoted(v) for v in values] if kind == "TXT" else values
            response.answer.append(dns.rrset.from_text_list(question.name, 300, "IN", kind, texts))
        sock.sendto(response.to_wire(), self.client_address)


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Server(socketserver.UDPServer):
    def __init__(self, records: Records, refusing: bool) -> None:
        super().__init__(("127.0.0.1", 0), _Answer)
        self.records = {name.lower().rstrip("."): kinds for name, kinds in records.items()}
        self.refusing = refusing
        self.asked: list[tuple[str, str]] = []


class DnsStandIn:
    """The server, answering in a thread of its own while the `with` block runs."""

    def __init__(self, records: Records, refusing: bool = False) -> None:
        self._server = _Server(records, refusing)
        # A short poll: leaving the `with` block waits for the loop to see the shutdown.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def address(self) -> tuple[str, int]:
        """(host, port), as DNS_NAMESERVER's value reads."""
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def asked(self) -> list[tuple[str, str]]:
        """Every question received: (name, type)."""
        return self._server.asked

    def __enter__(self) -> DnsStandIn:
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()


@contextmanager
def silent_server() -> Iterator[tuple[str, int]]:
    """The address of a UDP port that takes every question and answers none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        yield "127.0.0.1", sock.getsockname()[1]
