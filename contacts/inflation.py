"""Bounds on what an XLSX workbook inflates to, checked before openpyxl opens it.

An XLSX file is a ZIP archive of XML parts. A part of a few kilobytes can inflate to gigabytes (a
ZIP bomb), and openpyxl, even read-only, reads every part whole except the worksheets, which it
streams: the table of texts (sharedStrings.xml), above all, becomes one Python list. So the
declared sizes of the parts are checked first: all together, each against its compressed size, and
each part read whole on its own. Python's zipfile never inflates a part beyond its declared size
(it stops there, and the CRC check fails), so the declared sizes are the real bounds.
"""

from __future__ import annotations

import zipfile
from typing import Any

MB = 1024 * 1024
MAX_INFLATED_BYTES = 256 * MB  # all the parts of a workbook, unzipped
MAX_WHOLE_PART_BYTES = 64 * MB  # one part that openpyxl reads whole (texts, styles…)
MAX_RATIO = 100  # unzipped / zipped size of one part: Apache POI's bound for ZIP bombs
RATIO_GRACE_BYTES = 1 * MB  # a part this small may inflate any amount: it costs nothing
WORKSHEET_RELATION = "/worksheet"
SAVE_AS_CSV = "save the sheet as CSV, which has no such bound, or split the workbook"


def inflation_problem(archive: zipfile.ZipFile) -> str | None:
    """Why this workbook would inflate too much to be read, or None when it is within bounds."""
    parts = archive.infolist()
    total = sum(part.file_size for part in parts)
    if total > MAX_INFLATED_BYTES:
        return (
            f"the workbook inflates to {_mb(total)} when unzipped, more than the "
            f"{_mb(MAX_INFLATED_BYTES)} an import reads; {SAVE_AS_CSV}"
        )
    for part in parts:
        if part.file_size > RATIO_GRACE_BYTES and part.file_size > MAX_RATIO * part.compress_size:
            return (
                f"the part {part.filename!r} of the workbook inflates "
                f"{part.file_size // max(part.compress_size, 1):,} times when unzipped, where a "
                f"spreadsheet's parts inflate at most {MAX_RATIO} times: the file is a ZIP bomb, "
                "not an export"
            )
    from openpyxl.xml.constants import SHARED_STRINGS

    manifest = _manifest(archive)
    strings = _declared(manifest, SHARED_STRINGS)
    streamed = _streamed_parts(archive, manifest, strings)
    for part in parts:
        if part.file_size > MAX_WHOLE_PART_BYTES and part.filename not in streamed:
            what = "its table of texts" if part.filename == strings else "its part"
            return (
                f"the workbook as a whole cannot be read: {what} {part.filename!r}, which is read "
                f"whole, inflates to {_mb(part.file_size)}, more than {_mb(MAX_WHOLE_PART_BYTES)}; "
                f"{SAVE_AS_CSV}"
            )
    return None


def _mb(size: int) -> str:
    return f"{size / MB:,.0f} MB"


def _small_enough(archive: zipfile.ZipFile, name: str) -> bool:
    """Whether the part exists and may be read whole here."""
    try:
        return archive.getinfo(name).file_size <= MAX_WHOLE_PART_BYTES
    except KeyError:
        return False


def _manifest(archive: zipfile.ZipFile) -> Any:
    """The package's manifest ([Content_Types].xml); None when missing, too large or damaged."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES
    from openpyxl.xml.functions import fromstring

    if not _small_enough(archive, ARC_CONTENT_TYPES):
        return None
    try:
        return Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    except Exception:  # a damaged package: openpyxl refuses it with its own error
        return None


def _declared(manifest: Any, *content_types: str) -> str | None:
    """The first part the manifest declares with one of these types, found as openpyxl finds it."""
    for content_type in content_types:
        found = manifest.find(content_type) if manifest is not None else None
        if found is not None:
            return str(found.PartName)[1:]
    return None


def _streamed_parts(archive: zipfile.ZipFile, manifest: Any, strings: str | None) -> set[str]:
    """The parts openpyxl streams: the worksheets the workbook points to, unless something else
    reads them whole; none when the package cannot be read (openpyxl then refuses it too)."""
    from openpyxl.packaging.relationship import get_dependents, get_rels_path
    from openpyxl.xml import constants as xl

    if manifest is None:
        return set()
    workbook = _declared(manifest, xl.XLTM, xl.XLTX, xl.XLSM, xl.XLSX) or xl.ARC_WORKBOOK
    relations = get_rels_path(workbook)
    if not _small_enough(archive, relations):
        return set()
    try:
        links = [(rel.Type, rel.target, rel.Target) for rel in get_dependents(archive, relations)]
    except Exception:  # a damaged package: openpyxl refuses it with its own error
        return set()
    sheets = {target for kind, target, _ in links if kind.endswith(WORKSHEET_RELATION)}
    read_whole = {
        xl.ARC_CONTENT_TYPES, xl.ARC_CORE, xl.ARC_CUSTOM, xl.ARC_STYLE, xl.ARC_THEME, workbook,
        strings,
    }  # fmt: skip
    for kind, target, written in links:
        if not kind.endswith(WORKSHEET_RELATION):  # external links, chart sheets…
            read_whole.update((target, written))
    return {sheet for sheet in sheets - read_whole if not sheet.endswith(".rels")}
