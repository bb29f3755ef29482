"""Accounts in the back office, for admins: who has one, with which role; create one (its
one-time sign-in link shown, and emailed when asked); disable one. Same services as `convier
user`."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext
from werkzeug.wrappers import Response

from service.accounts import services
from service.accounts.models import Role
from service.accounts.roles import Can
from service.accounts.web import actor, current_user, requires
from service.db import utcnow
from service.errors import Conflict, Invalid, NotFound
from service.extensions import get_db, get_settings
from service.mail.dispatch import sign_in_link_now
from service.manage import queries
from service.manage.routes import manage


def _users_page(form: dict[str, object], errors: dict[str, str]) -> tuple[str, int]:
    with get_db().transaction(write=False) as session:
        users = services.list_users(session)
        events, _ = queries.event_lines(session, utcnow())
        page = render_template(
            "manage/users.html", users=users, events=events, roles=list(Role), form=form,
            errors=errors,
        )  # fmt: skip
    return page, 422 if errors else 200


@manage.get("/users")
@requires(Can.MANAGE_USERS)
def users() -> tuple[str, int]:
    """Every account, and the form to create one."""
    return _users_page({"role": Role.ORGANISER.value, "events": []}, {})


def _refusal(refusal: Invalid | Conflict | NotFound) -> dict[str, str]:
    if isinstance(refusal, Conflict):
        return {"email": gettext("Cette adresse a déjà un compte.")}
    if "event" in refusal.fields:
        return {"events": gettext("Un compte « accueil » travaille pour au moins un événement, "
                                  "et lui seul.")}  # fmt: skip
    return {"email": gettext("Cette adresse email n'est pas valide.")}


@manage.post("/users")
@requires(Can.MANAGE_USERS)
def create_user() -> str | tuple[str, int]:
    """Create the account and show its one-time sign-in link (emailed when asked)."""
    email, role = request.form.get("email", "").strip(), request.form.get("role", "")
    events = [int(e) for e in request.form.getlist("events") if e.isdecimal()]
    form: dict[str, object] = {"email": email, "role": role, "events": events}
    if role not in {known.value for known in Role}:
        return _users_page(form, {"role": gettext("Choisissez un rôle.")})
    try:
        with get_db().transaction() as session:
            user = services.create_user(session, email, Role(role), events, actor())
            link = services.sign_in_link(get_settings(), user)
            user_id, address = user.id, user.email
    except (Invalid, Conflict, NotFound) as refusal:
        return _users_page(form, _refusal(refusal))
    emailed = request.form.get("send") == "on"
    if emailed:
        sign_in_link_now(user_id, str(get_locale()))
    return render_template("manage/user_created.html", link=link, address=address, emailed=emailed)


@manage.route("/users/<int:user_id>/disable", methods=["GET", "POST"])
@requires(Can.MANAGE_USERS)
def disable_user(user_id: int) -> str | Response:
    """Ask to confirm, then refuse the account from now on (never one's own: an admin cannot
    lock everyone out)."""
    me = current_user()
    if me is not None and me.id == user_id:
        flash(gettext("Vous ne pouvez pas désactiver votre propre compte."))
        return redirect(url_for("manage.users"))
    if request.method == "GET":
        with get_db().transaction(write=False) as session:
            user = services.get_user(session, user_id)
            return render_template("manage/disable_user.html", user=user)
    with get_db().transaction() as session:
        user = services.disable_user(session, services.get_user(session, user_id), actor())
        flash(gettext("Le compte %(email)s est désactivé.", email=user.email))
    return redirect(url_for("manage.users"))
