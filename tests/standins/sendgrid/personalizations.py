"""The checks of the personalizations of a Mail Send body: recipients, duplicates, limits.

Private helpers only: `_check_personalizations` (with each one's substitutions, custom_args
and headers) and `_check_recipients` (to/cc/bcc addresses, each once per request).
"""

from __future__ import annotations

import json
from typing import Any

from tests.standins.sendgrid.fields import _check_headers, _check_strings, _error, _is_address

MAX_PERSONALIZATIONS = 1000
MAX_RECIPIENTS = 1000  # to + cc + bcc, across the personalizations of one request
MAX_CUSTOM_ARGS_BYTES = 10_000


def _check_recipients(personalizations: list[Any]) -> list[dict[str, Any]]:
    """Each personalization has a `to`; every address is valid and appears once in the request."""
    errors: list[dict[str, Any]] = []
    seen: set[str] = set()
    duplicate_reported = False
    total = 0
    for i, personalization in enumerate(personalizations):
        to = personalization.get("to") if isinstance(personalization, dict) else None
        if not isinstance(to, list) or not to:
            errors.append(_error(
                "The to array is required for all personalization objects, and must have at "
                "least one email object with a valid email address.",
                f"personalizations.{i}.to",
            ))  # fmt: skip
            continue
        for kind in ("to", "cc", "bcc"):
            addresses = personalization.get(kind) or []
            for j, address in enumerate(addresses if isinstance(addresses, list) else [None]):
                where = f"personalizations.{i}.{kind}.{j}"
                if not _is_address(address):
                    errors.append(_error("Does not contain a valid address.", f"{where}.email"))
                    continue
                total += 1
                name = address.get("name")
                if isinstance(name, str) and any(c in name for c in ",;"):
                    errors.append(_error(
                        "The to.name, cc.name, and bcc.name personalizations cannot include "
                        "either the ; or , characters.",
                        f"{where}.name",
                    ))  # fmt: skip
                email = address["email"].lower()
                if email in seen and not duplicate_reported:
                    duplicate_reported = True  # SendGrid names the first duplicate only
                    errors.append(_error(
                        "Each unique email address in the personalizations array should only "
                        f"be included once. You have included {address['email']} more than once.",
                        f"{where}.email",
                    ))  # fmt: skip
                seen.add(email)
    if total > MAX_RECIPIENTS:
        errors.append(_error(
            f"There is a limit of {MAX_RECIPIENTS} total recipients (to + cc + bcc) per request.",
            "personalizations",
        ))  # fmt: skip
    return errors


def _check_personalizations(body: dict[str, Any]) -> list[dict[str, Any]]:
    personalizations = body.get("personalizations")
    if not isinstance(personalizations, list) or not personalizations:
        return [_error(
            "The personalizations field is required and must have at least one personalization.",
            "personalizations",
        )]  # fmt: skip
    if len(personalizations) > MAX_PERSONALIZATIONS:
        return [_error(
            f"The personalization block is limited to {MAX_PERSONALIZATIONS} personalizations "
            f"per API request. You have provided {len(personalizations)} personalizations. "
            "Please consider splitting this into multiple requests and resending your request.",
            "personalizations",
        )]  # fmt: skip
    errors = _check_recipients(personalizations)
    top_args = body.get("custom_args") if isinstance(body.get("custom_args"), dict) else {}
    for i, personalization in enumerate(personalizations):
        if not isinstance(personalization, dict):
            continue
        where = f"personalizations.{i}"
        errors += _check_strings(personalization.get("substitutions"), f"{where}.substitutions")
        errors += _check_strings(personalization.get("custom_args"), f"{where}.custom_args")
        errors += _check_headers(personalization.get("headers"), f"{where}.headers")
        own_args = personalization.get("custom_args")
        merged = {**top_args, **(own_args if isinstance(own_args, dict) else {})}
        if len(json.dumps(merged).encode()) > MAX_CUSTOM_ARGS_BYTES:
            errors.append(_error(
                f"The custom_args of a personalization, merged with the top-level ones, must "
                f"stay under {MAX_CUSTOM_ARGS_BYTES} bytes.",
                f"{where}.custom_args",
            ))  # fmt: skip
    return errors
