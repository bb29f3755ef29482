"""Accounts: who may be created, who signs in, and how long a sign-in link works."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from service.accounts import services
from service.accounts.models import Role, User
from service.accounts.services import SignInRefused
from service.audit.models import AuditEntry
from service.errors import Conflict, Invalid, NotFound

PASSWORD = "une phrase assez longue"


def _token(link: str) -> str:
    return link.rsplit("/", 1)[1]


def test_an_account_is_created_without_password_and_logged(db):
    with db.transaction() as session:
        user = services.create_user(session, " Claire@Example.ORG ", Role.ORGANISER)
    with db.transaction(write=False) as session:
        stored = session.scalars(select(User)).one()
        entry = session.scalars(select(AuditEntry)).one()
    assert (stored.email, stored.role, stored.password_hash) == (
        "claire@example.org", Role.ORGANISER, None,
    )  # fmt: skip
    assert (entry.actor, entry.action, entry.subject) == ("cli", "user.created", user.email)


@pytest.mark.parametrize(
    ("email", "role", "events", "refusal", "field"),
    [
        ("pas-une-adresse", Role.COMMS, (), Invalid, "email"),
        ("porte@example.org", Role.DOOR, (), Invalid, "event"),
        ("orga@example.org", Role.ORGANISER, (1,), Invalid, "event"),
        ("porte@example.org", Role.DOOR, (999_999,), NotFound, "event"),
    ],
)
def test_a_bad_account_is_refused_naming_its_field(db, email, role, events, refusal, field):
    with pytest.raises(refusal) as caught, db.transaction() as session:
        services.create_user(session, email, role, events)
    assert field in caught.value.fields
    with db.transaction(write=False) as session:
        assert session.scalars(select(User)).all() == []


def test_one_account_per_address(db, factory):
    factory.user("claire@example.org", "comms")
    with pytest.raises(Conflict), db.transaction() as session:
        services.create_user(session, "CLAIRE@example.org", Role.ADMIN)


def test_a_door_account_names_its_events(db, factory):
    event_id = factory.event()
    factory.user("porte@example.org", "door", (event_id,))
    with db.transaction(write=False) as session:
        assert services.find_user(session, "porte@example.org").event_ids == {event_id}


def test_sign_in_by_password(db, factory):
    password = factory.user("claire@example.org", "organiser")
    with db.transaction() as session:
        user = services.authenticate(session, "Claire@example.org", password)
        assert user.last_sign_in_at is not None


@pytest.mark.parametrize(
    ("email", "password"),
    [
        ("claire@example.org", "pas le bon mot de passe"),
        ("personne@example.org", PASSWORD),
        ("claire@example.org", ""),
    ],
)
def test_a_wrong_address_or_password_gets_one_answer(db, factory, email, password):
    factory.user("claire@example.org", "organiser")
    with pytest.raises(SignInRefused), db.transaction() as session:
        services.authenticate(session, email, password)


def test_a_disabled_account_cannot_sign_in(db, factory):
    password = factory.user("claire@example.org", "organiser")
    with db.transaction() as session:
        services.disable_user(session, services.find_user(session, "claire@example.org"))
    with pytest.raises(SignInRefused), db.transaction() as session:
        services.authenticate(session, "claire@example.org", password)


def test_a_sign_in_link_sets_the_password_once(db, settings):
    with db.transaction() as session:
        user = services.create_user(session, "claire@example.org", Role.ORGANISER)
        link = services.sign_in_link(settings, user)
    token = _token(link)
    with pytest.raises(Invalid) as caught, db.transaction() as session:
        services.use_sign_in_link(session, settings, token, "court")
    assert "password" in caught.value.fields
    with pytest.raises(Invalid), db.transaction() as session:
        services.use_sign_in_link(session, settings, token)  # a new account must choose one
    with db.transaction() as session:
        services.use_sign_in_link(session, settings, token, PASSWORD)
    with pytest.raises(SignInRefused), db.transaction() as session:
        services.use_sign_in_link(session, settings, token, "un autre mot de passe")
    with db.transaction() as session:
        assert services.authenticate(session, "claire@example.org", PASSWORD)


def test_a_sign_in_link_dies_with_any_later_sign_in(db, factory, settings):
    password = factory.user("claire@example.org", "organiser")
    with db.transaction(write=False) as session:
        token = _token(
            services.sign_in_link(settings, services.find_user(session, "claire@example.org"))
        )
        assert services.sign_in_link_user(session, settings, token)
    with db.transaction() as session:
        services.authenticate(session, "claire@example.org", password)
    with pytest.raises(SignInRefused), db.transaction(write=False) as session:
        services.sign_in_link_user(session, settings, token)


@pytest.mark.parametrize("token", ["", "abc", "WyIxOjAuMDAwMDAwIiwxXQ.axauPw.forged"])
def test_a_forged_sign_in_link_is_refused(db, settings, token):
    with pytest.raises(SignInRefused), db.transaction(write=False) as session:
        services.sign_in_link_user(session, settings, token)


def test_a_disabled_accounts_link_and_session_stop(db, settings, factory):
    factory.user("claire@example.org", "organiser")
    with db.transaction() as session:
        user = services.find_user(session, "claire@example.org")
        token = _token(services.sign_in_link(settings, user))
        version = user.credentials_version
        services.disable_user(session, user)
    with db.transaction(write=False) as session:
        with pytest.raises(SignInRefused):
            services.sign_in_link_user(session, settings, token)
        assert services.session_user(session, user.id, version) is None
        assert services.session_user(session, user.id, version + 1) is None
