"""Contacts in the JSON API: upload a list export, see what it holds, then confirm the import.

Uploads have a size limit of their own (IMPORT_MAX_MB), larger than the app-wide one; what a file
holds is bounded by contacts.parsing, and the preview answered is shortened whatever it holds."""

from __future__ import annotations

import json
import re
import secrets
import shutil
from pathlib import Path
from typing import Any

from flask import Response, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import secure_filename

from contacts.imports import import_contacts
from contacts.parsing import ParsedTable, ParseError, read_table
from service.api.http import api, authenticated, flag_arg, problem
from service.config import MEGABYTE
from service.extensions import get_db, get_settings
from service.inputs import takes_list_files

PREVIEW_ROWS = 5
PREVIEW_CHARS = 100  # of each text shown in the answer to an upload
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


def _short(text: str) -> str:
    return text if len(text) <= PREVIEW_CHARS else text[: PREVIEW_CHARS - 1] + "…"


def _detected(table: ParsedTable) -> dict[str, Any]:
    """What was found in the file and its first rows, every text shortened."""
    preview = [
        {name: _short(value) for name, value in row.values.items()}
        for _, row in zip(range(PREVIEW_ROWS), table.rows, strict=False)
    ]
    return {
        "format": table.format, "encoding": table.encoding, "delimiter": table.delimiter,
        "sheet": table.sheet, "columns": [_short(column) for column in table.columns],
        "mapping": {_short(column): name for column, name in table.mapping.items()},
        "preview": preview,
    }  # fmt: skip


def _too_large() -> Response:
    """The answer to an upload over a limit: its size, or its other fields'."""
    limit = get_settings().upload_max_bytes
    if request.content_length is not None and request.content_length <= limit:
        each = request.max_form_memory_size
        most = f" (at most {each:,} bytes each)" if each else ""
        message = f"the fields beside the file are too long or too many{most}"
        return problem(413, "too_large", message)
    return problem(
        413,
        "too_large",
        f"the upload is larger than {limit / MEGABYTE:g} MB, the most an import takes "
        "(setting IMPORT_MAX_MB); save the list as CSV, which is smaller, or split it",
    )


@api.post("/imports")
@authenticated
@takes_list_files
def upload() -> Any:
    """Store an uploaded CSV or XLSX file; answer with what was detected and a preview."""
    try:
        sent = request.files.get("file")
    except RequestEntityTooLarge:
        return _too_large()
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
        detected = _detected(read_table(folder / DATA, mapping))
    except ParseError:
        shutil.rmtree(folder)  # personal data is not kept for a file that cannot be imported
        raise
    source = secure_filename(sent.filename) or "upload"
    (folder / META).write_text(json.dumps({"list": list_name, "map": mapping, "source": source}))
    return {UPLOAD_ID: upload_id, "list": list_name, **detected}, 201


@api.post("/imports/<upload_id>/confirm")
@authenticated
def confirm(upload_id: str) -> Any:
    """Import an uploaded file: every row checked, then everything valid written; the upload is
    then deleted (a dry run keeps it)."""
    dry_run = flag_arg("dry_run")
    folder = _upload_folder(upload_id)
    if folder is None:
        return problem(404, "not_found", f"no upload {upload_id!r}")
    meta = json.loads((folder / META).read_text())
    report = import_contacts(
        get_db(), get_settings(), folder / DATA, meta["list"], meta["map"],
        dry_run=dry_run, source=meta["source"],
    )  # fmt: skip
    if not dry_run:
        shutil.rmtree(folder)  # imported: the uploaded file, personal data, is not kept
    return {
        "summary": report.summary(),
        "errors": [{"row": e.row, "column": e.column, "reason": e.reason} for e in report.errors],
        "warnings": report.warnings,
        "dry_run": dry_run,
    }
