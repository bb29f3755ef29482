"""Rate limits, with the production defaults: one personal link, or one client address, cannot
post without end, and wrong API tokens are throttled. Counters are in memory on the embedded
default and in Redis when the suite runs with it."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import replace

import pytest
from flask import Flask
from sqlalchemy import select

from service import create_app
from service.api.services import create_token
from service.config import Settings
from service.registrations.models import Registration

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def limited(db, settings: Settings) -> Iterator[Flask]:
    """The app with the default limits, its counters emptied."""
    defaults = Settings.__dataclass_fields__
    application = create_app(
        replace(
            settings,
            link_rate_limit=defaults["link_rate_limit"].default,
            client_rate_limit="15 per minute",
            bad_token_limit=defaults["bad_token_limit"].default,
        )
    )
    application.extensions["convier.limiter"].reset()
    yield application
    application.extensions["convier.limiter"].reset()
    application.extensions["convier.db"].dispose()


def csrf(client, token: str) -> str:
    page = client.get(f"/r/{token}").get_data(as_text=True)
    return CSRF.search(page).group(1)


def test_one_link_is_refused_after_ten_posts_a_minute(db, factory, limited):
    client = limited.test_client()
    event_id = factory.event(capacity=5)
    person, other = factory.invitees(event_id, 2)
    form = {"csrf_token": csrf(client, person.token)}
    codes = [client.post(f"/r/{person.token}/cancel", data=form).status_code for _ in range(10)]
    refused = client.post(f"/r/{person.token}/register", data=form)
    assert set(codes) == {303}
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) > 0
    assert "Trop de demandes" in refused.get_data(as_text=True)
    with db.transaction(write=False) as session:
        assert session.scalars(select(Registration)).all() == []  # the 11th changed nothing
    # Another person's link, from the same client, is not held back.
    assert client.post(f"/r/{other.token}/register", data=form).status_code == 303


def test_one_client_address_is_refused_after_its_limit(db, factory, limited):
    client = limited.test_client()
    event_id = factory.event(capacity=50)
    people = factory.invitees(event_id, 16)
    form = {"csrf_token": csrf(client, people[0].token)}
    codes = [client.post(f"/r/{p.token}/register", data=form).status_code for p in people]
    assert codes == [303] * 15 + [429]
    # Another client address has its own count.
    other = limited.test_client()
    answer = other.post(
        f"/r/{people[-1].token}/register",
        data={"csrf_token": csrf(other, people[-1].token)},
        environ_base={"REMOTE_ADDR": "192.0.2.7"},
    )
    assert answer.status_code == 303


def test_wrong_api_tokens_are_throttled_per_client(db, limited):
    client = limited.test_client()
    with db.transaction() as session:
        good = {"Authorization": f"Bearer {create_token(session, 'tests')}"}
    assert client.get("/api/v1/events", headers=good).status_code == 200
    wrong = {"Authorization": "Bearer cvr_guess"}
    codes = [client.get("/api/v1/events", headers=wrong).status_code for _ in range(11)]
    assert codes == [401] * 10 + [429]
    # Good answers are not counted; the lock-out holds for this client until the minute ends.
    assert client.get("/api/v1/events", headers=good).status_code == 429
    elsewhere = client.get(
        "/api/v1/events", headers=good, environ_base={"REMOTE_ADDR": "192.0.2.8"}
    )
    assert elsewhere.status_code == 200


def test_a_401_says_how_to_authenticate(client):
    answer = client.get("/api/v1/events")
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")


def test_behind_a_trusted_proxy_each_visitor_is_counted_apart(db, factory, settings):
    application = create_app(replace(settings, client_rate_limit="2 per minute", trusted_proxies=1))
    application.extensions["convier.limiter"].reset()
    client = application.test_client()
    people = factory.invitees(factory.event(capacity=10), 4)
    form = {"csrf_token": csrf(client, people[0].token)}

    def post_from(visitor: str, person) -> int:
        headers = {"X-Forwarded-For": visitor}
        return client.post(f"/r/{person.token}/register", data=form, headers=headers).status_code

    assert [post_from("198.51.100.1", p) for p in people[:3]] == [303, 303, 429]
    assert post_from("198.51.100.2", people[3]) == 303
    application.extensions["convier.limiter"].reset()
    application.extensions["convier.db"].dispose()


def test_without_its_redis_the_limiter_counts_in_memory(db, factory, settings):
    application = create_app(
        replace(settings, redis_url="redis://127.0.0.1:1/0", link_rate_limit="2 per minute")
    )
    client = application.test_client()
    person = factory.invitees(factory.event(), 1)[0]
    form = {"csrf_token": csrf(client, person.token)}
    codes = [client.post(f"/r/{person.token}/cancel", data=form).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    application.extensions["convier.db"].dispose()
