"""Four network lists that overlap, as real partner lists do, and a campaign over them."""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from email import policy
from email.parser import BytesParser

import pytest

from contacts.models import Contact, MailingList, Membership, SuppressionReason
from contacts.suppression import suppress
from service.campaigns import services
from service.campaigns.models import CampaignKind, CampaignState
from service.db import Database
from tests.conftest import VAR_DIR

# Contact numbers on each list: 5-9 are on two lists, 0 and 19 on two, 3 on two, 10-14 on two.
LISTS = {
    "CNCRES": range(0, 10),
    "COORACE": range(5, 15),
    "RTES": range(10, 20),
    "MES": (0, 3, 19),
}
PEOPLE = 20
UNSUBSCRIBED = 7
OUTBOX = VAR_DIR / "outbox"  # where the `file` backend (ours, or a worker's) writes


@dataclass(frozen=True)
class Network:
    """The people and lists of the fixture."""

    contact_ids: list[int]
    emails: list[str]


def email(number: int) -> str:
    """The address of person `number`."""
    return f"personne{number:02d}@example.org"


@pytest.fixture
def network(db: Database, settings) -> Network:
    """20 people on four overlapping lists; one of them has unsubscribed."""
    with db.transaction() as session:
        contacts = [Contact(email=email(i), first_name=f"Personne {i}") for i in range(PEOPLE)]
        session.add_all(contacts)
        session.flush()
        for name, numbers in LISTS.items():
            mailing_list = MailingList(name=name, network=name)
            session.add(mailing_list)
            session.flush()
            session.add_all(
                Membership(list_id=mailing_list.id, contact_id=contacts[i].id, source="test")
                for i in numbers
            )
        suppress(session, settings, email(UNSUBSCRIBED), SuppressionReason.UNSUBSCRIBED)
        return Network([c.id for c in contacts], [c.email for c in contacts])


def new_campaign(db: Database, event_id: int, kind: CampaignKind, **fields) -> int:
    """A draft campaign of the event over the four lists (unless `lists` says otherwise)."""
    fields.setdefault("lists", list(LISTS) if kind is CampaignKind.INVITATION else [])
    with db.transaction() as session:
        spec = services.CampaignSpec(event_id=event_id, kind=kind, **fields)
        return services.create(session, spec).id


@pytest.fixture(autouse=True)
def _empty_outbox() -> None:
    """Each test counts only the emails it made."""
    shutil.rmtree(OUTBOX, ignore_errors=True)


def recipients() -> Counter[str]:
    """How many emails each address got, from the .eml files of the outbox folder."""
    parser = BytesParser(policy=policy.default)
    return Counter(
        parser.parsebytes(path.read_bytes())["To"].addresses[0].addr_spec
        for path in OUTBOX.glob("*.eml")
    )


def campaign_state(db: Database, campaign_id: int) -> CampaignState:
    """The campaign's state as stored now."""
    with db.transaction(write=False) as session:
        return services.get(session, campaign_id).state
