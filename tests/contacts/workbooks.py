"""XLSX workbooks written part by part as Excel writes them (texts in a shared table), with
room for what Excel never writes: parts that inflate without end, cells longer than it allows."""

from __future__ import annotations

import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELATIONS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PACKAGE = "http://schemas.openxmlformats.org/package/2006/relationships"
TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
PARTS = {
    "[Content_Types].xml": (
        f'{HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{TYPE}.sheet.main+xml"/>'
        f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{TYPE}.worksheet+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{TYPE}.sharedStrings+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        f'{HEAD}<Relationships xmlns="{PACKAGE}"><Relationship Id="rId1" '
        f'Type="{RELATIONS}/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/workbook.xml": (
        f'{HEAD}<workbook xmlns="{MAIN}" xmlns:r="{RELATIONS}"><sheets>'
        '<sheet name="Feuil1" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        f'{HEAD}<Relationships xmlns="{PACKAGE}">'
        f'<Relationship Id="rId1" Type="{RELATIONS}/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{RELATIONS}/sharedStrings" Target="sharedStrings.xml"/>'
        "</Relationships>"
    ),
}
CHUNK = 1 << 20


def _letter(index: int) -> str:
    return chr(ord("A") + index)  # enough for the narrow sheets of these tests


def excel_workbook(
    path: Path, rows: Sequence[Sequence[str]], sheet_padding: int = 0, texts_padding: int = 0
) -> Path:
    """A workbook of one sheet holding `rows` (every cell a text of the shared table), with
    `sheet_padding` and `texts_padding` spaces between the XML elements of the sheet and of the
    table of texts: valid XML that inflates as much as asked and zips to almost nothing."""
    texts: dict[str, int] = {}
    sheet_rows = []
    for number, row in enumerate(rows, start=1):
        cells = "".join(
            f'<c r="{_letter(i)}{number}" t="s"><v>{texts.setdefault(text, len(texts))}</v></c>'
            for i, text in enumerate(row)
        )
        sheet_rows.append(f'<row r="{number}">{cells}</row>')
    sheet = f'{HEAD}<worksheet xmlns="{MAIN}"><sheetData>' + "".join(sheet_rows)
    table = f'{HEAD}<sst xmlns="{MAIN}" count="{len(texts)}" uniqueCount="{len(texts)}">' + "".join(
        f'<si><t xml:space="preserve">{escape(text)}</t></si>' for text in texts
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in PARTS.items():
            archive.writestr(name, xml)
        _write_part(
            archive, "xl/worksheets/sheet1.xml", sheet, sheet_padding, "</sheetData></worksheet>"
        )
        _write_part(archive, "xl/sharedStrings.xml", table, texts_padding, "</sst>")
    return path


def _write_part(archive: zipfile.ZipFile, name: str, head: str, padding: int, tail: str) -> None:
    """A part written by pieces, never whole in memory: its head, the spaces, its tail."""
    with archive.open(name, "w", force_zip64=True) as part:
        part.write(head.encode())
        while padding > 0:
            part.write(b" " * min(padding, CHUNK))
            padding -= CHUNK
        part.write(tail.encode())
