"""Extensions of the Flask app, each with its init_app."""

from __future__ import annotations

from babel.support import NullTranslations
from flask import Flask, current_app, request
from flask_babel import Babel, Domain
from flask_wtf import CSRFProtect

from service.config import Settings
from service.db import Database
from service.typography import with_french_typography

LANGUAGES = ("fr", "en")


class TypesetDomain(Domain):
    """Flask-Babel's catalogues, French set in its typography (service.typography)."""

    def get_translations(self) -> NullTranslations:
        """The catalogue of the request's language."""
        return with_french_typography(super().get_translations())


csrf = CSRFProtect()
babel = Babel()
babel.domain_instance = TypesetDomain()


def select_locale() -> str:
    """`?lang=` first, then the browser's Accept-Language; French when nothing matches."""
    asked = request.args.get("lang", "")
    if asked in LANGUAGES:
        return asked
    return request.accept_languages.best_match(LANGUAGES, default="fr") or "fr"


def init_database(app: Flask, settings: Settings) -> Database:
    """Create the Database of this app."""
    database = Database(settings.database_url)
    app.extensions["convier.db"] = database
    return database


def get_db() -> Database:
    """The Database of the current app."""
    database: Database = current_app.extensions["convier.db"]
    return database


def get_settings() -> Settings:
    """The Settings of the current app."""
    settings: Settings = current_app.extensions["convier.settings"]
    return settings
