"""Who is signed in to the back office, and the checks every back-office handler makes: not
signed in, go to the sign-in page; signed in outside one's role, 403, and nothing changes."""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, abort, g, redirect, request, session, url_for
from werkzeug.wrappers import Response

from service.accounts.models import User
from service.accounts.roles import Can, may, may_for_event
from service.accounts.services import session_user
from service.extensions import get_db

SESSION_KEY = "account"
SESSION_HOURS = 12  # then sign in again, whatever the activity
View = TypeVar("View", bound=Callable[..., Any])


def start_session(user: User) -> None:
    """Sign `user` in on this browser: a fresh session, so nothing from before carries over."""
    session.clear()
    session.permanent = True
    session[SESSION_KEY] = [user.id, user.credentials_version, int(time.time())]


def end_session() -> None:
    """Sign out on this browser."""
    session.clear()


def current_user() -> User | None:
    """The signed-in account of this request, or None (no session, expired, disabled, or its
    password changed since)."""
    if "account" not in g:
        g.account = _load_user()
    user: User | None = g.account
    return user


def _load_user() -> User | None:
    match session.get(SESSION_KEY):
        case [int(user_id), int(version), int(started)]:
            if time.time() - started > SESSION_HOURS * 3600:
                return None
            with get_db().transaction(write=False) as db_session:
                return session_user(db_session, user_id, version)
    return None


def _refused_or_sign_in() -> Response:
    if current_user() is not None:
        abort(403)
    if request.headers.get("HX-Request") == "true":
        # A part of a page (the live counters) asked after the session ended: htmx sends the
        # whole page to the sign-in form, instead of swapping the form into the part.
        return Response(status=401, headers={"HX-Redirect": url_for("accounts.sign_in")})
    target = request.full_path.removesuffix("?") if request.method == "GET" else None
    return redirect(url_for("accounts.sign_in", next=target))


def requires(step: Can) -> Callable[[View], View]:
    """The handler runs only for an account that may take `step`; with an `event_id` in the
    URL, only for an account that may take it for that event."""

    def decorate(view: View) -> View:
        @wraps(view)
        def checked(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            event_id = kwargs.get("event_id")
            allowed = user is not None and (
                may_for_event(user, step, event_id) if event_id is not None else may(user, step)
            )
            if not allowed:
                return _refused_or_sign_in()
            return view(*args, **kwargs)

        return checked  # type: ignore[return-value]

    return decorate


def actor() -> str:
    """The audit log's name for whoever makes the current request."""
    user = current_user()
    return user.email if user is not None else "anonymous"


def init_app(app: Flask) -> None:
    """Templates ask `can(Can.X)` / `can(Can.X, event_id)` before showing a control."""

    def can(step: Can, event_id: int | None = None) -> bool:
        user = current_user()
        if user is None:
            return False
        return may_for_event(user, step, event_id) if event_id is not None else may(user, step)

    app.jinja_env.globals.update(can=can, Can=Can, current_user=current_user)
