"""The two Email Activity API query forms the outbox needs, and the messages it lists.

parse_activity_query   (argument name, accepted values) of a supported query, else None.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from tests.standins.sendgrid.records import Delivery

_EQUALS = re.compile(r"""^\(?\s*unique_args\['([^']+)'\]\s*=\s*"([^"]*)"\s*\)?$""")
_IN = re.compile(r"""^\(?\s*unique_args\['([^']+)'\]\s+IN\s*\(([^)]*)\)\s*\)?$""", re.IGNORECASE)


def parse_activity_query(query: str) -> tuple[str, list[str]] | None:
    """(argument name, accepted values) of a supported Email Activity query, else None."""
    query = query.strip()
    if match := _EQUALS.match(query):
        return match.group(1), [match.group(2)]
    if match := _IN.match(query):
        values = re.findall(r"""\s*(?:"([^"]*)"|'([^']*)')\s*(?:,|$)""", match.group(2))
        return match.group(1), [double or single for double, single in values]
    return None


def _activity_message(delivery: Delivery, received_at: float) -> dict[str, Any]:
    """A message as the Email Activity API lists it."""
    return {
        "from_email": delivery.sender,
        "msg_id": delivery.sg_message_id,
        "subject": delivery.subject,
        "to_email": delivery.address,
        "status": "delivered",
        "opens_count": 0,
        "clicks_count": 0,
        "last_event_time": datetime.fromtimestamp(received_at, UTC).isoformat(),
    }
