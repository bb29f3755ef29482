"""Importing a network's list file in the browser, in the steps of contacts.uploads: upload, map
the columns on the file's first rows, check every row (a worker; the page shows its progress and
can be left), read the errors by row and column, then import the valid rows."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename
from werkzeug.wrappers import Response

from contacts import uploads
from contacts.exports import write_csv
from contacts.headers import FIELDS
from contacts.models import ImportState, MailingList
from contacts.parsing import ParseError
from service.accounts.roles import Can
from service.accounts.web import actor, current_user, requires
from service.audit.services import record
from service.config import MEGABYTE
from service.errors import Conflict, Invalid
from service.extensions import get_db, get_settings
from service.inputs import takes_list_files
from service.mail.dispatch import import_after_commit
from service.manage.contact_labels import row_problem
from service.manage.routes import manage

RUNNING = (ImportState.CHECKING, ImportState.IMPORTING)
SHOWN_ERRORS = 100


def _list_names() -> list[str]:
    with get_db().transaction(write=False) as session:
        return list(session.scalars(select(MailingList.name).order_by(MailingList.name)))


@manage.route("/lists/import", methods=["GET", "POST"])
@requires(Can.CHANGE_EVENTS)
@takes_list_files
def new_import() -> str | tuple[str, int] | Response:
    """The upload form; the file, once read, opens its import's page."""
    form = {"list": request.args.get("list", ""), "network": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        try:
            sent = request.files.get("file")
            form = {key: request.form.get(key, "").strip() for key in form}
        except RequestEntityTooLarge:
            sent = None
            limit = get_settings().upload_max_bytes / MEGABYTE
            errors["file"] = gettext(
                "Ce fichier dépasse %(limit)g Mo : enregistrez-le en CSV, plus léger, ou "
                "coupez-le en deux.", limit=limit)  # fmt: skip
        if sent is None or not sent.filename:
            errors.setdefault("file", gettext("Choisissez le fichier de la liste (CSV ou Excel)."))
        else:
            try:
                data = sent.read()
            finally:
                sent.close()  # a large file is spooled to disk
            try:
                return _upload(form, sent.filename, data)
            except Invalid:
                errors["list"] = gettext("Donnez le nom de la liste (une ligne, 200 caractères "
                                         "au plus).")  # fmt: skip
            except ParseError as refused:
                errors["file"] = gettext("Ce fichier ne peut pas être lu : %(why)s",
                                         why=refused.message)  # fmt: skip
    page = render_template("manage/import_new.html", form=form, errors=errors, lists=_list_names())
    return (page, 422) if errors else page


def _upload(form: dict[str, str], filename: str, data: bytes) -> Response:
    user = current_user()
    with get_db().transaction() as session:
        item = uploads.upload(
            session, get_settings(), form["list"], secure_filename(filename) or "upload", data,
            network=form["network"], user_id=user.id if user else None,
        )  # fmt: skip
        import_id = item.id
    return redirect(url_for("manage.list_import", import_id=import_id))


def _columns_of() -> dict[str, str]:
    """field -> column, as the mapping form sent it."""
    return {name: request.form.get(f"field-{name}", "") for name in FIELDS}


@manage.get("/imports/<int:import_id>")
@requires(Can.SEE_CONTACTS)
def list_import(import_id: int) -> str:
    """The import's page: the file read and its columns mapped, the check's progress or report,
    the import's progress or result."""
    return _page(import_id, {})


@manage.post("/imports/<int:import_id>")
@requires(Can.CHANGE_EVENTS)
def import_step(import_id: int) -> tuple[str, int] | Response:
    """Map the columns, check every row, or import the checked file."""
    try:
        return _step(import_id, request.form.get("op", ""))
    except Invalid as refused:
        errors = {name: _mapping_problem(reason) for name, reason in refused.fields.items()}
        return _page(import_id, errors, _columns_of()), 422
    except Conflict:
        flash(gettext("Cette étape n'est plus possible : l'import a avancé entre-temps."))
        return redirect(url_for("manage.list_import", import_id=import_id))


def _page(import_id: int, errors: dict[str, str], chosen: dict[str, str] | None = None) -> str:
    """The import's page; `chosen` shows the columns the organiser chose (field -> column)
    instead of those of the upload, when they were refused."""
    with get_db().transaction(write=False) as session:
        item = uploads.get(session, import_id)
        found = None
        if item.state in (ImportState.UPLOADED, ImportState.CHECKED):
            found = uploads.detected(get_settings(), item)
        return render_template(
            "manage/import.html", item=item, found=found, errors=errors, fields=FIELDS,
            shown_errors=SHOWN_ERRORS, running=RUNNING, chosen=chosen,
        )  # fmt: skip


def _mapping_problem(reason: str) -> str:
    if reason.startswith("choose"):
        return gettext("Choisissez la colonne des adresses email.")
    if "already feeds" in reason:
        return gettext("Cette colonne est déjà choisie pour un autre champ.")
    return gettext("Cette colonne n'est pas dans le fichier.")


def _step(import_id: int, operation: str) -> Response:
    settings = get_settings()
    with get_db().transaction() as session:
        if operation in ("map", "check"):
            uploads.set_mapping(
                session, settings, import_id, _columns_of(), request.form.get("sheet", "")
            )
        if operation in ("check", "import"):
            uploads.start(session, import_id, dry_run=operation == "check")
            import_after_commit(session, import_id)
        if operation == "import":
            item = uploads.get(session, import_id)
            record(session, actor(), "list.import", None, item.list_name, file=item.source)
    return redirect(url_for("manage.list_import", import_id=import_id))


@manage.get("/imports/<int:import_id>/progress")
@requires(Can.SEE_CONTACTS)
def import_progress(import_id: int) -> str | Response:
    """The progress bar alone, asked for every second while a worker checks or imports; once
    it is done, htmx is told to reload the page, which then shows the report."""
    with get_db().transaction(write=False) as session:
        item = uploads.get(session, import_id)
        if item.state not in RUNNING:
            return Response("", headers={"HX-Refresh": "true"})
        return render_template("manage/_import_progress.html", item=item)


@manage.get("/imports/<int:import_id>/errors.csv")
@requires(Can.SEE_CONTACTS)
def import_errors(import_id: int) -> Response:
    """The refused rows of the check, by row and column, for a spreadsheet."""
    with get_db().transaction(write=False) as session:
        item = uploads.get(session, import_id)
        errors, name = item.report.get("errors", []), item.source
    columns = (gettext("Ligne"), gettext("Colonne"), gettext("Problème"))
    out = io.BytesIO()
    lines = ((row, column, row_problem(reason)) for row, column, reason in errors)
    write_csv((dict(zip(columns, e, strict=True)) for e in lines), columns, out, delimiter=";")
    out.seek(0)
    return send_file(
        out, mimetype="text/csv", as_attachment=True,
        download_name=gettext("erreurs-%(file)s", file=name.rsplit(".", 1)[0]) + ".csv",
    )  # fmt: skip
