"""The replies inbox of the back office: what people wrote back, to read and mark handled. The
inbox answers htmx's requests with its replies alone, and the button of a reply with that reply
again (and the tabs' counts, swapped out of band)."""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, TypeVar

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext, lazy_gettext
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response as BaseResponse

from service.accounts.roles import Can
from service.accounts.web import actor, requires
from service.errors import Invalid
from service.extensions import get_db, get_settings
from service.inputs import MAX_ID
from service.manage.reply_view import ORDER_LABELS, STATE_LABELS, TAB_LABELS, replies_file
from service.manage.routes import manage, spreadsheet
from service.tracking import inbox
from service.tracking.inbox import Choices, InboxQuery, Order, State
from service.tracking.models import ReplyKind

E = TypeVar("E", bound=StrEnum)
UNKNOWN = {
    "event": lazy_gettext("Événement inconnu (paramètre event) : %(value)s"),
    "list": lazy_gettext("Liste inconnue (paramètre list) : %(value)s"),
    "kind": lazy_gettext("Sorte de réponse inconnue (paramètre kind) : %(value)s"),
    "state": lazy_gettext("État inconnu (paramètre state) : %(value)s"),
    "order": lazy_gettext("Ordre inconnu (paramètre order) : %(value)s"),
    "page": lazy_gettext("Page inconnue (paramètre page) : %(value)s"),
}


def _number(value: str) -> int | None:
    """A positive whole number as a URL writes it, no larger than an id can be."""
    if not (value.isascii() and value.isdecimal() and len(value) <= len(str(MAX_ID))):
        return None
    return int(value) if 0 < int(value) <= MAX_ID else None


def _inbox_query(values: Mapping[str, str], found: Choices) -> tuple[InboxQuery, list[str]]:
    """The inbox's query from the URL (or from a reply's button), and a message for each
    parameter that was not understood (that parameter is then ignored)."""
    problems: list[str] = []

    def unknown(name: str) -> None:
        problems.append(UNKNOWN[name] % {"value": values[name][:80]})

    def known(name: str, kind: type[E]) -> E | None:
        if not (value := values.get(name, "")):
            return None
        try:
            return kind(value)
        except ValueError:
            unknown(name)
            return None

    event_id = _number(values.get("event", ""))
    if values.get("event") and (event_id is None or not found.has_event(event_id)):
        unknown("event")
        event_id = None
    list_id = _number(values.get("list", ""))
    if values.get("list") and (list_id is None or not found.has_list(list_id)):
        unknown("list")
        list_id = None
    page = _number(values.get("page") or "1")
    if page is None:
        unknown("page")
    asked = InboxQuery(
        event_id=event_id,
        list_id=list_id,
        kind=known("kind", ReplyKind) or ReplyKind.HUMAN,
        state=known("state", State) or State.OPEN,
        order=known("order", Order),
        page=(page or 1) - 1,
    )
    return asked, problems


def _filters(asked: InboxQuery) -> dict[str, Any]:
    """The URL's parameters for `asked`, the page left out (the defaults too)."""
    args: dict[str, Any] = {"event": asked.event_id, "list": asked.list_id}
    if asked.kind is not ReplyKind.HUMAN and asked.kind is not None:
        args["kind"] = asked.kind.value
    if asked.state is not State.OPEN:
        args["state"] = asked.state.value
    if asked.order is not None:
        args["order"] = asked.order.value
    return {name: value for name, value in args.items() if value is not None}


def _context(session: Session, asked: InboxQuery) -> dict[str, Any]:
    """What the inbox's templates show for `asked` (its page brought within the pages)."""
    counts = inbox.counts(session, asked)
    asked = inbox.on_a_page(counts, asked)
    return {
        "asked": asked, "counts": counts, "pages": counts.pages(asked), "filters": _filters(asked),
        "kinds": list(ReplyKind), "tab_labels": TAB_LABELS, "State": State,
    }  # fmt: skip


def _inbox_page(session: Session, found: Choices, asked: InboxQuery, problems: list[str]) -> str:
    context = _context(session, asked)
    lines = inbox.replies(session, context["asked"])
    template = "manage/replies.html"
    if request.headers.get("HX-Request") and not request.headers.get("HX-History-Restore-Request"):
        template = "manage/_replies.html"  # the filters changed: the replies alone
    return render_template(
        template, lines=lines, problems=problems, choices=found, states=list(State),
        orders=list(Order), state_labels=STATE_LABELS, order_labels=ORDER_LABELS, **context,
    )  # fmt: skip


@manage.get("/replies")
@requires(Can.SEE_STATS)
def replies() -> str:
    """The replies received, filtered by event, list, kind and state, a page at a time."""
    with get_db().transaction(write=False) as session:
        found = inbox.choices(session)
        asked, problems = _inbox_query(request.args, found)
        return _inbox_page(session, found, asked, problems)


@manage.post("/replies/<int:reply_id>/handled")
@requires(Can.ANSWER_REPLIES)
def handle_reply(reply_id: int) -> str | BaseResponse:
    """Mark a reply handled (`handled` 1) or to handle again (0); htmx gets the reply again,
    a browser without it goes back to the inbox it came from."""
    handled = request.form.get("handled", "")
    if handled not in ("0", "1"):
        raise Invalid("handled", "1 (handled) or 0 (to handle)")
    with get_db().transaction() as session:
        asked, _ = _inbox_query(request.form, inbox.choices(session))
        inbox.mark_handled(session, reply_id, handled == "1", actor())
        if request.headers.get("HX-Request"):
            return render_template(
                "manage/_reply_handled.html", reply=inbox.reply_line(session, reply_id),
                **_context(session, asked),
            )  # fmt: skip
    flash(
        gettext("La réponse n° %(id)s est marquée comme traitée.", id=reply_id)
        if handled == "1"
        else gettext("La réponse n° %(id)s est de nouveau à traiter.", id=reply_id)
    )
    back = _filters(asked) | ({"page": asked.page + 1} if asked.page else {})
    return redirect(url_for("manage.replies", _anchor=f"reply-{reply_id}", **back))


@manage.get("/replies.<any(csv, xlsx):fmt>")
@requires(Can.EXPORT)
def replies_export(fmt: str) -> tuple[str, int] | Response:
    """The replies the inbox shows (same filters, every page), as a file; the inbox with its
    problems named when a parameter is not understood."""
    with get_db().transaction(write=False) as session:
        found = inbox.choices(session)
        asked, problems = _inbox_query(request.args, found)
        if problems:
            return _inbox_page(session, found, asked, problems), 400
        lines = inbox.replies(session, asked, limit=None)
        data = replies_file(lines, get_settings().tz, fmt)
    return spreadsheet(data, gettext("reponses"), fmt)
