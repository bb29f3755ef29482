"""`convier contacts …`: import network mailing lists."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, BinaryIO

import click
from pydantic import ValidationError

from contacts.exports import EXPORT_COLUMNS, list_rows, segment_rows, write_csv, write_xlsx
from contacts.imports import ImportReport, import_contacts
from contacts.models import SuppressionReason
from contacts.parsing import ParseError
from contacts.segments import EventState, SegmentRules, count, load_rules, save_segment
from contacts.services import list_sizes
from contacts.suppression import suppress
from service.cli_context import Context, ConvierGroup, pass_ctx
from service.events.schemas import describe_errors
from service.privacy import erase_person, person_record
from service.registrations.queries import contact_event_state
from service.tracking.exports import attendee_export_columns, attendee_export_rows

MAX_ERRORS_SHOWN = 50


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.partition("=")
        if not sep or not column.strip():
            raise click.BadParameter(
                f"{pair!r}: expected COLUMN=FIELD, e.g. 'Adresse pro=email'", param_hint="--map"
            )
        mapping[column.strip()] = field.strip()
    return mapping


def _print_report(report: ImportReport) -> None:
    for error in report.errors[:MAX_ERRORS_SHOWN]:
        click.echo(f"  rejected: {error}", err=True)
    if report.rejected > MAX_ERRORS_SHOWN:
        click.echo(f"  … and {report.rejected - MAX_ERRORS_SHOWN} more rejected rows", err=True)
    for warning in report.warnings:
        click.echo(f"  warning: {warning}", err=True)
    prefix = "dry run, nothing written — " if report.dry_run else ""
    counts = ", ".join(
        f"{value} {name.replace('_', ' ')}" for name, value in report.summary().items()
    )
    click.echo(f"{prefix}list {report.list_name!r}: {counts}")


def _show_progress(phase: str, done: int, total: int | None) -> None:
    """One status line on stderr, rewritten in place: rows checked, then contacts written."""
    if total:
        click.echo(f"\r{phase}: {done:,}/{total:,} ({100 * done // total}%)   ", nl=False, err=True)
    else:
        click.echo(f"\r{phase}: {done:,} rows   ", nl=False, err=True)


@click.group("contacts", cls=ConvierGroup)
def contacts_group() -> None:
    """Contacts and network mailing lists."""


@contacts_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--list", "list_name", required=True, help="the mailing list the file belongs to")
@click.option(
    "--map", "pairs", multiple=True, metavar="COLUMN=FIELD", help="map a column to a field"
)
@click.option(
    "--sheet", help="the sheet of an XLSX workbook (default: the first with an email column)"
)
@click.option("--dry-run", is_flag=True, help="check and count everything, write nothing")
@click.option(
    "--update",
    "overwrite",
    is_flag=True,
    help="overwrite known contacts' fields, not only empty ones",
)
@pass_ctx
def import_command(
    ctx: Context,
    path: Path,
    list_name: str,
    pairs: tuple[str, ...],
    sheet: str | None,
    dry_run: bool,
    overwrite: bool,
) -> None:
    """Import a CSV or XLSX export into a list; rows in error are reported and skipped."""
    mapping = _mapping(pairs)
    try:
        report = import_contacts(
            ctx.db, ctx.settings, path, list_name, mapping,
            dry_run=dry_run, overwrite=overwrite, sheet=sheet, progress=_show_progress,
        )  # fmt: skip
    except ParseError as exc:
        raise click.ClickException(f"{path}: {exc}") from exc
    finally:
        click.echo(err=True)
    _print_report(report)
    if report.imported_nothing:
        raise click.exceptions.Exit(1)


@contacts_group.command("lists")
@pass_ctx
def lists_command(ctx: Context) -> None:
    """The mailing lists and how many contacts each holds."""
    with ctx.db.transaction(write=False) as session:
        for name, members in list_sizes(session):
            click.echo(f"{members:>7}  {name}")


@contacts_group.command("segment")
@click.argument("name")
@click.option("--list", "lists", multiple=True, help="on this list (repeat: any of them)")
@click.option("--tag", "tags", multiple=True, help="with this tag (repeat: any of them)")
@click.option("--region", "regions", multiple=True)
@click.option("--organisation", "organisations", multiple=True)
@click.option("--event", type=int, help="with --state: where the contact stands with this event")
@click.option("--state", type=click.Choice([s.value for s in EventState]))
@click.option("--show", is_flag=True, help="count the saved segment NAME instead of saving")
@pass_ctx
def segment_command(ctx: Context, name: str, show: bool, **criteria: object) -> None:
    """Save a segment (a filter) and print how many contacts it holds."""
    with ctx.db.transaction(write=not show) as session:
        try:
            rules = load_rules(session, name) if show else SegmentRules.model_validate(criteria)
        except ValidationError as exc:
            raise click.ClickException("; ".join(describe_errors(exc))) from exc
        if not show:
            save_segment(session, name, rules)
        kept = count(session, rules, contact_event_state)
    click.echo(f"segment {name!r}: {kept} contacts")


def _write_export(
    rows: list[dict[str, Any]], columns: list[str], fmt: str, out: BinaryIO, title: str
) -> None:
    if fmt == "xlsx":
        write_xlsx(rows, columns, out, sheet_title=title)
    else:
        write_csv(rows, columns, out)


@contacts_group.command("export")
@click.option("--list", "list_name", help="the members of this list")
@click.option("--segment", help="the contacts of this saved segment")
@click.option("--event", "event_id", type=int, help="the attendees of this event")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "xlsx"]), default="csv", show_default=True
)
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="a file (default: standard output)",
)
@pass_ctx
def export_command(
    ctx: Context,
    list_name: str | None,
    segment: str | None,
    event_id: int | None,
    fmt: str,
    output: Path | None,
) -> None:
    """Export a list, a segment or an event's attendees, safe to open in Excel."""
    if sum(x is not None for x in (list_name, segment, event_id)) != 1:
        raise click.UsageError("give exactly one of --list, --segment, --event")
    with ctx.db.transaction(write=False) as session:
        if event_id is not None:
            rows, columns = (
                attendee_export_rows(session, event_id),
                attendee_export_columns(session, event_id),
            )
        elif segment is not None:
            rows, columns = (
                segment_rows(session, load_rules(session, segment), contact_event_state),
                list(EXPORT_COLUMNS),
            )
        else:
            rows, columns = list_rows(session, str(list_name)), list(EXPORT_COLUMNS)
    if fmt == "xlsx" and output is None:
        raise click.UsageError("an XLSX export needs --output FILE")
    if output is None:
        _write_export(rows, columns, fmt, sys.stdout.buffer, "")
        return
    try:
        with output.open("wb") as out:
            _write_export(rows, columns, fmt, out, list_name or segment or f"event {event_id}")
    except OSError as exc:
        raise click.ClickException(f"--output: cannot write {output} ({exc.strerror})") from exc
    click.echo(f"{len(rows)} rows written to {output}", err=True)


@contacts_group.command("export-person")
@click.argument("email")
@pass_ctx
def export_person_command(ctx: Context, email: str) -> None:
    """Print everything held about a person, as JSON (GDPR right of access)."""
    with ctx.db.transaction(write=False) as session:
        record = person_record(session, ctx.settings, email)
    if record is None:
        raise click.ClickException(f"nothing is held about {email}")
    click.echo(json.dumps(record, ensure_ascii=False, indent=2))


@contacts_group.command("erase")
@click.argument("email")
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
@pass_ctx
def erase_command(ctx: Context, email: str, yes: bool) -> None:
    """Erase a person's data; their address stays suppressed (GDPR right to erasure)."""
    if not yes:
        click.confirm(f"Erase everything held about {email}? This cannot be undone", abort=True)
    with ctx.db.transaction() as session:
        erased = erase_person(session, ctx.settings, email)
    click.echo(f"{email}: {'erased' if erased else 'no contact held'}; the address is suppressed")


@contacts_group.command("suppress")
@click.argument("email")
@click.option(
    "--reason",
    type=click.Choice([r.value for r in SuppressionReason]),
    default=SuppressionReason.MANUAL.value,
    show_default=True,
)
@pass_ctx
def suppress_command(ctx: Context, email: str, reason: str) -> None:
    """Never mail this address again (it stays on the list even if the contact is erased)."""
    with ctx.db.transaction() as session:
        added = suppress(session, ctx.settings, email, SuppressionReason(reason))
    click.echo(f"{email}: {'suppressed' if added else 'already suppressed'}")
