"""Signing in to the back office: by password, or by a one-time link (made by `convier user
create` / `convier user link`), which also sets the password of a new account."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from service.accounts import services
from service.accounts.services import PASSWORD_MAX, PASSWORD_MIN, SignInRefused
from service.accounts.web import current_user, end_session, start_session
from service.errors import Invalid
from service.extensions import get_db, get_settings
from service.mail.dispatch import sign_in_link_now

accounts = Blueprint("accounts", __name__, url_prefix="/manage")
HOME = "manage.events"


def _next_page() -> str:
    """Where to go once signed in: a back-office page named by `next`, else the home page."""
    target = request.values.get("next", "")
    if target.startswith("/manage/") and not target.startswith("//"):
        return target
    return url_for(HOME)


@accounts.get("/login")
def sign_in() -> str | Response:
    """The sign-in form."""
    if current_user() is not None:
        return redirect(_next_page())
    return render_template("manage/sign_in.html", next=request.args.get("next", ""))


@accounts.post("/login")
def sign_in_post() -> tuple[str, int] | Response:
    """Check the address and password; the same answer for every wrong combination."""
    try:
        with get_db().transaction() as session:
            user = services.authenticate(
                session, request.form.get("email", ""), request.form.get("password", "")
            )
            start_session(user)
    except SignInRefused:
        page = render_template(
            "manage/sign_in.html",
            next=request.form.get("next", ""),
            email=request.form.get("email", ""),
            refused=True,
        )
        return page, 401
    return redirect(_next_page())


def _password_problem(refusal: Invalid) -> str:
    reason = refusal.fields.get("password", "")
    if reason.startswith("at least"):
        return gettext("Au moins %(count)d caractères.", count=PASSWORD_MIN)
    if reason.startswith("at most"):
        return gettext("Au plus %(count)d caractères.", count=PASSWORD_MAX)
    return gettext("Choisissez un mot de passe.")


@accounts.get("/link/<token>")
def link(token: str) -> str | tuple[str, int]:
    """The page of a sign-in link: reading it changes nothing (mail scanners open links)."""
    try:
        with get_db().transaction(write=False) as session:
            user = services.sign_in_link_user(session, get_settings(), token)
    except SignInRefused:
        return render_template("manage/link_refused.html"), 404
    return render_template("manage/link.html", user=user, token=token, password_min=PASSWORD_MIN)


@accounts.post("/link/<token>")
def link_post(token: str) -> str | tuple[str, int] | Response:
    """Sign in by the link (it stops working), setting the password when one is typed."""
    password = request.form.get("password") or None
    if password is not None and password != request.form.get("confirmation"):
        problem = gettext("Les deux mots de passe diffèrent.")
        return _link_page_again(token, problem)
    try:
        with get_db().transaction() as session:
            user = services.use_sign_in_link(session, get_settings(), token, password)
            start_session(user)
    except SignInRefused:
        return render_template("manage/link_refused.html"), 404
    except Invalid as refusal:
        return _link_page_again(token, _password_problem(refusal))
    return redirect(url_for(HOME))


def _link_page_again(token: str, problem: str) -> tuple[str, int] | Response:
    with get_db().transaction(write=False) as session:
        try:
            user = services.sign_in_link_user(session, get_settings(), token)
        except SignInRefused:
            return render_template("manage/link_refused.html"), 404
        page = render_template(
            "manage/link.html", user=user, token=token, problem=problem, password_min=PASSWORD_MIN
        )
    return page, 422


@accounts.route("/login/link", methods=["GET", "POST"])
def email_link() -> str:
    """Ask for a sign-in link by email; the answer is the same whether the address has an
    account or not, and comes before the email leaves (a worker sends it)."""
    if request.method == "GET":
        return render_template("manage/email_link.html", sent=False)
    address = request.form.get("email", "")
    with get_db().transaction(write=False) as session:
        user = services.active_user(session, address)
    if user is not None:
        sign_in_link_now(user.id, str(get_locale()))
    return render_template("manage/email_link.html", sent=True)


@accounts.post("/logout")
def sign_out() -> Response:
    """Sign out on this browser."""
    end_session()
    return redirect(url_for("accounts.sign_in"))
