"""Convier: the invitation and registration workflow of professional events."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TYPE_CHECKING

from service.config import Settings, load_settings

if TYPE_CHECKING:  # imported by create_app: `import service` (the CLI's) stays light
    from flask import Flask


def create_app(config: Settings | Mapping[str, str] | None = None) -> Flask:
    """The Flask application; `config` is Settings, an environment mapping, or None (os.environ)."""
    from flask import Flask

    from service import error_pages, extensions, formatting, headers, inputs, limits, logs, metrics
    from service.accounts import web as accounts_web
    from service.accounts.routes import accounts
    from service.api.routes import api
    from service.health import health
    from service.manage import (  # noqa: F401 - their pages join `manage`
        campaign_compose_routes,
        campaign_routes,
        campaign_rule_routes,
        checkin_routes,
        contact_labels,
        contact_routes,
        dashboard_routes,
        deliverability_routes,
        event_routes,
        figures,
        import_routes,
        list_routes,
        registration_routes,
        reply_routes,
        report_link_routes,
        segment_routes,
        user_routes,
    )
    from service.manage import labels as manage_labels
    from service.manage.routes import manage
    from service.registrations import page_cache
    from service.registrations.answer_routes import answers
    from service.registrations.forwarding_routes import forwarded
    from service.registrations.routes import public
    from service.tracking.report_routes import reports
    from service.tracking.routes import tracking

    settings = config if isinstance(config, Settings) else load_settings(config)
    app = Flask(__name__)
    inputs.init_app(app)
    logs.init_app(app)
    metrics.init_app(app, settings)
    app.config.update(
        SECRET_KEY=settings.secret_key,
        SECRET_KEY_FALLBACKS=list(settings.secret_keys_old),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.base_url.startswith("https://"),
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        # Token pages send no Referer (Referrer-Policy: no-referrer), so the CSRF check cannot
        # require one; the CSRF token and the personal link authenticate the request.
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,
        BABEL_DEFAULT_LOCALE="fr",
        BABEL_DEFAULT_TIMEZONE=settings.timezone,
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
    )
    app.extensions["convier.settings"] = settings
    extensions.init_database(app, settings)
    inputs.init_upload_limit(app, settings.upload_max_bytes)  # before the CSRF check
    extensions.csrf.init_app(app)
    extensions.babel.init_app(app, locale_selector=extensions.select_locale)
    app.register_blueprint(health)
    app.register_blueprint(public)
    app.register_blueprint(forwarded)
    app.register_blueprint(answers)
    app.register_blueprint(tracking)
    app.register_blueprint(reports)
    app.register_blueprint(api)
    app.register_blueprint(accounts)
    app.register_blueprint(manage)
    extensions.csrf.exempt(api)
    limits.init_app(
        app,
        settings,
        public=[public, forwarded, answers, tracking, reports],
        authenticated=[api],
        sign_in=[accounts],
    )
    error_pages.init_app(app)
    headers.init_app(app)
    formatting.init_app(app)
    page_cache.init_app(app)
    accounts_web.init_app(app)
    manage_labels.init_app(app)
    contact_labels.init_app(app)
    figures.init_app(app)
    return app
