"""The floor of a registration click: the smallest Flask app doing what a click must do.

Served by bench/stack_floor.py as `gunicorn 'floor_app:create_app()'`, set by the environment:
CONVIER_FLOOR_LEVEL is one of LEVELS, CONVIER_FLOOR_PRE_PING is 1 (the app's engine) or 0,
DATABASE_URL and SECRET_KEY as for the app.

- bare: GET /r/<token> answers a constant page and token, POST answers 303; no session, no CSRF.
- csrf: the app's signed cookie session and CSRFProtect; GET renders a Jinja page holding the CSRF
  token, POST checks it and answers 303.
- db: csrf, and each POST commits one INSERT INTO floor_registration (one transaction).
- db2: db, and each GET reads its invitation by primary key first.

A click is three requests: the page, the POST, and the page again (the 303's target).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from flask import Flask, abort, redirect, render_template
from flask_wtf import CSRFProtect
from jinja2 import DictLoader
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, insert, select
from werkzeug.wrappers import Response

from service.db import make_engine

LEVELS = ("bare", "csrf", "db", "db2")
metadata = MetaData()
invitation = Table(
    "floor_invitation",
    metadata,
    Column("token", String, primary_key=True),
    Column("first_name", String, nullable=False),
)
registration = Table(
    "floor_registration",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("token", String, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)
PAGE = """<!doctype html>
<html lang="fr"><title>Inscription</title>
<h1>Bonjour {{ first_name }}</h1>
<form method="post" action="{{ url_for('register', token=token) }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
<button>S'inscrire</button>
</form></html>
"""
BARE_PAGE = PAGE.replace("{{ first_name }}", "Personne").replace(
    "{{ csrf_token() }}", "constant-token"
)


def create_app(environ: Mapping[str, str] | None = None) -> Flask:
    """The floor app at the level asked for by `environ` (os.environ when None)."""
    environ = os.environ if environ is None else environ
    level = environ.get("CONVIER_FLOOR_LEVEL", "db")
    if level not in LEVELS:
        raise ValueError(f"CONVIER_FLOOR_LEVEL: one of {', '.join(LEVELS)}, not {level!r}")
    app = Flask(__name__)
    app.add_url_rule("/healthz", "health", lambda: {"status": "ok"})
    if level == "bare":
        app.add_url_rule("/r/<token>", "page", lambda token: BARE_PAGE)
        app.add_url_rule(
            "/r/<token>/register",
            "register",
            lambda token: Response(status=303, headers={"Location": f"/r/{token}"}),
            methods=["POST"],
        )
        return app
    app.config.update(  # as service.create_app configures them
        SECRET_KEY=environ["SECRET_KEY"],
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=12),
        WTF_CSRF_SSL_STRICT=False,
        WTF_CSRF_TIME_LIMIT=None,
    )
    app.jinja_loader = DictLoader({"page.html": PAGE})
    CSRFProtect(app)
    pre_ping = environ.get("CONVIER_FLOOR_PRE_PING", "1") == "1"
    engine = (
        make_engine(environ["DATABASE_URL"], pool_pre_ping=pre_ping) if level != "csrf" else None
    )

    @app.get("/r/<token>")
    def page(token: str) -> str:
        first_name = "Personne"
        if level == "db2":
            with engine.connect() as connection:
                first_name = connection.scalar(
                    select(invitation.c.first_name).where(invitation.c.token == token)
                )
            if first_name is None:
                abort(404)
        return render_template("page.html", token=token, first_name=first_name)

    # Writes start as the application's do (BEGIN IMMEDIATE on SQLite: service.db.Database).
    writer = engine.execution_options(sqlite_begin="IMMEDIATE") if engine is not None else None

    @app.post("/r/<token>/register")
    def register(token: str) -> Response:
        if writer is not None:
            with writer.begin() as connection:
                connection.execute(
                    insert(registration).values(token=token, created_at=datetime.now(UTC))
                )
        return redirect(f"/r/{token}", 303)

    return app
