"""Errors reported to Sentry when SENTRY_DSN is set (sentry-sdk, with its Flask and Celery
integrations), with personal data scrubbed before an event leaves: no IP address, cookie or
header of the person; no credential in a path (`/r/…`); no email address anywhere."""

from __future__ import annotations

import re
from typing import Any

from service.config import Settings
from service.security import redact_tokens

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def scrub(value: Any) -> Any:
    """`value` with every string redacted, however deep: links' tokens and email addresses."""
    if isinstance(value, str):
        return EMAIL.sub("…@…", redact_tokens(value))
    if isinstance(value, dict):
        return {key: scrub(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(item) for item in value]
    return value


def _before_send(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    request = event.get("request", {})
    for personal in ("cookies", "headers", "data", "env"):
        request.pop(personal, None)
    event.pop("user", None)
    scrubbed: dict[str, Any] = scrub(event)
    return scrubbed


def init_error_reports(settings: Settings) -> bool:
    """Start reporting to Sentry when SENTRY_DSN is set; whether it was."""
    if not settings.sentry_dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.flask import FlaskIntegration

    sentry_sdk.init(
        dsn=settings.sentry_dsn,
        integrations=[FlaskIntegration(), CeleryIntegration()],
        # Nothing of the person: no identity, cookie, body, query or local variable (which
        # holds names and addresses); headers and paths are scrubbed below.
        data_collection={
            "user_info": False,
            "cookies": {"mode": "off"},
            "http_bodies": [],
            "url_query_params": {"mode": "off"},
            "database_query_data": False,
            "stack_frame_variables": False,
        },
        before_send=_before_send,  # type: ignore[arg-type]
        before_breadcrumb=lambda crumb, _hint: scrub(crumb),
        traces_sample_rate=0.0,
    )
    return True
