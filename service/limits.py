"""Rate limits (Flask-Limiter): every public POST is counted per personal link and per client
address, so that no link, and no client, can make the service send or change things at will;
wrong API tokens are counted per client address. Counters live in Redis when REDIS_URL is set
(shared by every web process), in each process's memory on the embedded default."""

from __future__ import annotations

import hashlib
import math
import time

from flask import Blueprint, Flask, Response, current_app, request
from flask_limiter import Limiter
from werkzeug.middleware.proxy_fix import ProxyFix

from service.config import Settings

POSTS = ["POST"]


def client_address() -> str:
    """The client's address (as the trusted proxies report it)."""
    return request.remote_addr or "unknown"


def link_key() -> str:
    """The personal link of the request, hashed: a token is a credential, not a storage key."""
    token = str((request.view_args or {}).get("token", ""))
    return "link:" + hashlib.sha256(token.encode()).hexdigest()[:32]


def _webhook() -> bool:
    # Signed by the provider, and sent in bursts from a few addresses.
    return request.path.startswith("/webhooks/")


def _unauthorised(response: Response) -> bool:
    return response.status_code == 401


def init_app(
    app: Flask,
    settings: Settings,
    public: list[Blueprint],
    authenticated: list[Blueprint],
    sign_in: list[Blueprint],
) -> Limiter:
    """Count the POSTs of the `public` blueprints, the failed logins of the `authenticated`
    ones and the sign-in attempts of the `sign_in` ones, per client address; believe
    X-Forwarded-For from TRUSTED_PROXIES proxies."""
    if settings.trusted_proxies:
        count = settings.trusted_proxies
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=count, x_proto=count)  # type: ignore[method-assign]
    limiter = Limiter(
        client_address,
        app=app,
        storage_uri=settings.redis_url or "memory://",
        key_prefix="convier-limits",
        # Redis unreachable: count in memory meanwhile, rather than refuse every registration.
        in_memory_fallback_enabled=True,
        swallow_errors=True,
    )
    for blueprint in public:
        limiter.shared_limit(
            settings.link_rate_limit, "link", key_func=link_key, methods=POSTS,
            exempt_when=_webhook,
        )(blueprint)  # fmt: skip
        limiter.shared_limit(
            settings.client_rate_limit, "client", methods=POSTS, exempt_when=_webhook
        )(blueprint)
    for blueprint in authenticated:
        limiter.shared_limit(settings.bad_token_limit, "bad-token", deduct_when=_unauthorised)(
            blueprint
        )
    for blueprint in sign_in:
        limiter.shared_limit(settings.sign_in_rate_limit, "sign-in", methods=POSTS)(blueprint)
    counted = {blueprint.name for blueprint in authenticated}

    @limiter.request_filter
    def _not_counted() -> bool:
        # Pages people read cost nothing to check (the registration rush reads two per click).
        return request.method in ("GET", "HEAD") and request.blueprint not in counted

    app.extensions["convier.limiter"] = limiter
    return limiter


def retry_after() -> int:
    """Seconds until the limit the current request broke lets it through again."""
    breached = current_app.extensions["convier.limiter"].current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.reset_at - time.time()))
