"""Contacts in the JSON API: upload a list export, see what it holds, then confirm the import."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Blueprint, request
from werkzeug.utils import secure_filename

from contacts.imports import import_contacts
from contacts.parsing import ParseError, read_table
from service.api.routes import authenticated, problem
from service.extensions import get_db, get_settings

contacts_api = Blueprint("contacts_api", __name__, url_prefix="/api/v1")

PREVIEW_ROWS = 5
UPLOAD_ID = "upload_id"
UPLOAD_ID_PATTERN = re.compile(r"[0-9a-f]{24}")
DATA, META = "upload.data", "upload.json"  # fixed names: nothing sent can overwrite the other


def _uploads() -> Path:
    folder = get_settings().var_dir / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _upload_folder(upload_id: str) -> Path | None:
    if not UPLOAD_ID_PATTERN.fullmatch(upload_id):
        return None
    folder = _uploads() / upload_id
    return folder if (folder / META).is_file() else None


def _mapping(text: str) -> dict[str, str] | None:
    """The column-to-field overrides sent as JSON, or None when they are not a flat object."""
    if not text.strip():
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        return None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        return None
    return {str(k): v for k, v in value.items()}


@contacts_api.post("/imports")
@authenticated
def upload() -> Any:
    """Store an uploaded CSV or XLSX file; answer with what was detected and a preview."""
    sent = request.files.get("file")
    list_name = request.form.get("list", "").strip()
    if sent is None or not sent.filename:
        return problem(400, "missing_file", "send the export as a multipart field named 'file'")
    if not list_name:
        return problem(422, "invalid", "the body has invalid fields", ["list: required"])
    mapping = _mapping(request.form.get("map", ""))
    if mapping is None:
        return problem(
            422,
            "invalid",
            "the body has invalid fields",
            ['map: a JSON object {"column": "field"}'],
        )
    upload_id = secrets.token_hex(12)
    folder = _uploads() / upload_id
    folder.mkdir()
    sent.save(folder / DATA)
    try:
        table = read_table(folder / DATA, mapping)
        preview = [row.values for _, row in zip(range(PREVIEW_ROWS), table.rows, strict=False)]
    except ParseError as exc:
        shutil.rmtree(folder)  # personal data is not kept for a file that cannot be imported
        return problem(422, "unreadable", str(exc))
    source = secure_filename(sent.filename) or "upload"
    (folder / META).write_text(json.dumps({"list": list_name, "map": mapping, "source": source}))
    return {
        UPLOAD_ID: upload_id, "list": list_name, "format": table.format, "encoding": table.encoding,
        "delimiter": table.delimiter, "sheet": table.sheet, "columns": table.columns,
        "mapping": table.mapping, "preview": preview,
    }, 201  # fmt: skip


@contacts_api.post("/imports/<upload_id>/confirm")
@authenticated
def confirm(upload_id: str) -> Any:
    """Import an uploaded file: every row checked, then everything valid written at once; the
    upload is then deleted (a dry run keeps it)."""
    folder = _upload_folder(upload_id)
    if folder is None:
        return problem(404, "not_found", f"no upload {upload_id!r}")
    meta = json.loads((folder / META).read_text())
    dry_run = request.args.get("dry_run") in ("1", "true")
    try:
        report = import_contacts(
            get_db(), get_settings(), folder / DATA, meta["list"], meta["map"],
            dry_run=dry_run, source=meta["source"],
        )  # fmt: skip
    except ParseError as exc:
        return problem(422, "unreadable", str(exc))
    if not dry_run:
        shutil.rmtree(folder)  # imported: the uploaded file, personal data, is not kept
    return {
        "summary": report.summary(),
        "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors],
        "warnings": report.warnings,
        "dry_run": dry_run,
    }
