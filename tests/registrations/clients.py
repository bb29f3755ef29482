"""HTTP clients that click personal links as browsers do: GET the page, then POST its form."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor

import requests

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


# Steps asked on a page of their own before they are taken: that page holds their form.
ASKED_FIRST = ("cancel", "decline")


def open_page(base: str, token: str, action: str = "register") -> tuple[requests.Session, str]:
    """A fresh browser session that has loaded the page of `action` (the personal page, or the
    page asking for the step); returns it with the form's CSRF token."""
    session = requests.Session()
    path = f"/r/{token}/{action}" if action in ASKED_FIRST else f"/r/{token}"
    page = session.get(f"{base}{path}", timeout=60)
    page.raise_for_status()
    match = CSRF.search(page.text)
    assert match, "the page has no form"
    return session, match.group(1)


def click(
    base: str, token: str, action: str = "register", barrier: threading.Barrier | None = None
) -> int:
    """Open the page, wait at `barrier` if given, POST the action; returns the POST's status."""
    session, csrf = open_page(base, token, action)
    if barrier is not None:
        barrier.wait(timeout=60)
    response = session.post(
        f"{base}/r/{token}/{action}", data={"csrf_token": csrf}, allow_redirects=False, timeout=60
    )
    return response.status_code


def click_all(base: str, tokens: list[str], threads: int, action: str = "register") -> list[int]:
    """Click every token from a pool of threads; used in separate client processes too."""
    with ThreadPoolExecutor(max_workers=threads) as pool:
        return list(pool.map(lambda token: click(base, token, action), tokens))
