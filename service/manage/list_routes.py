"""The back office's contact book: the mailing lists with their sizes, a list's members found by
a search, and the suppression list (addresses shown masked: only their hashes are kept)."""

from __future__ import annotations

from flask import render_template, request

from contacts import queries
from service.accounts.roles import Can
from service.accounts.web import requires
from service.extensions import get_db
from service.manage.routes import manage


def _page() -> int:
    """The page number asked for (from 1 in the URL, from 0 here)."""
    value = request.args.get("page", "1")
    return int(value) - 1 if value.isdecimal() and int(value) > 0 else 0


@manage.get("/lists")
@requires(Can.SEE_CONTACTS)
def lists() -> str:
    """Every mailing list with its size, last import and suppressed members; recent uploads."""
    with get_db().transaction(write=False) as session:
        lines = queries.list_lines(session)
        imports = queries.recent_imports(session)
        return render_template("manage/lists.html", lines=lines, imports=imports)


@manage.get("/lists/<int:list_id>")
@requires(Can.SEE_CONTACTS)
def mailing_list(list_id: int) -> str:
    """A list's members, searched by name, organisation or address, a page at a time; htmx
    asks for the table alone as the search is typed."""
    text, page = request.args.get("q", "")[:200], _page()
    with get_db().transaction(write=False) as session:
        found = queries.get_list(session, list_id)
        rows, total = queries.members(session, list_id, text, page)
        template = "manage/_member_rows.html" if request.headers.get("HX-Request") else None
        return render_template(
            template or "manage/list.html", mailing_list=found, rows=rows, total=total, q=text,
            page=page, pages=max(1, -(-total // queries.PAGE_SIZE)),
        )  # fmt: skip


@manage.get("/suppressions")
@requires(Can.SEE_CONTACTS)
def suppressions() -> str:
    """The suppression list, newest first, with the reasons and dates."""
    page = _page()
    with get_db().transaction(write=False) as session:
        rows, total = queries.suppressions(session, page)
        return render_template(
            "manage/suppressions.html", rows=rows, total=total, page=page,
            pages=max(1, -(-total // queries.PAGE_SIZE)),
        )  # fmt: skip
