"""The tables of figures of the communications pages. One table is what the page shows, what its
chart draws (the script reads the table: the two cannot disagree) and what its export writes,
headers in the page's language."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from flask import Flask
from flask_babel import format_decimal, format_number, format_percent, gettext

from contacts.exports import write_csv, write_xlsx
from service.campaigns.models import Campaign, CampaignKind
from service.formatting import long_date
from service.manage.labels import kind_label
from service.tracking.list_stats import Lift, Past
from service.tracking.stats import Funnel
from service.tracking.timeline import Day


@dataclass(frozen=True)
class Column:
    """A column: its header, what its cells hold (label, count, percent or text) and whether
    the chart draws it."""

    header: str
    kind: str = "count"
    drawn: bool = False


@dataclass(frozen=True)
class Figures:
    """A table of figures; percent cells hold fractions (0.25), None where there is no base."""

    name: str
    caption: str
    columns: list[Column]
    rows: list[list[Any]]
    keys: list[Any] = field(default_factory=list)  # what each row stands for (a list's id)

    def file(self, fmt: str) -> bytes:
        """The table as a CSV for French Excel (`;`) or as XLSX, percentages in percent."""
        headers = [c.header + (" (%)" if c.kind == "percent" else "") for c in self.columns]
        buffer = io.BytesIO()
        if fmt == "xlsx":
            rows = [dict(zip(headers, self._cells(row, numeric=True), strict=True))
                    for row in self.rows]  # fmt: skip
            write_xlsx(rows, headers, buffer, sheet_title=self.caption, numbers=True)
        else:
            rows = [dict(zip(headers, self._cells(row, numeric=False), strict=True))
                    for row in self.rows]  # fmt: skip
            write_csv(rows, headers, buffer, delimiter=";")
        return buffer.getvalue()

    def _cells(self, row: list[Any], numeric: bool) -> list[Any]:
        cells = []
        for column, value in zip(self.columns, row, strict=True):
            if column.kind == "percent" and value is not None:
                value = round(100 * value, 1)
                if not numeric:  # French Excel reads "22,2" as a number, "22.2" as text
                    value = format_decimal(value, "0.#")
            cells.append(value)
        return cells


def funnel_columns(first: str) -> list[Column]:
    """A funnel's columns, the steps of the way to registering drawn."""
    return [
        Column(first, "label"),
        Column(gettext("Invités"), drawn=True),
        Column(gettext("Envoyés"), drawn=True),
        Column(gettext("Délivrés"), drawn=True),
        Column(gettext("Ouverts"), drawn=True),
        Column(gettext("Cliqués"), drawn=True),
        Column(gettext("Ont répondu"), drawn=True),
        Column(gettext("Inscrits"), drawn=True),
        Column(gettext("Ont décliné")),
        Column(gettext("Ont écrit")),
        Column(gettext("Rejetés")),
        Column(gettext("Désinscrits")),
        Column(gettext("Taux de réponse"), "percent"),
    ]


def funnel_cells(label: str, funnel: Funnel) -> list[Any]:
    """A funnel as a row of funnel_columns."""
    return [
        label, funnel.invited, funnel.sent, funnel.delivered, funnel.opened, funnel.clicked,
        funnel.responded, funnel.registered, funnel.declined, funnel.replied, funnel.bounced,
        funnel.unsubscribed, rate(funnel),
    ]  # fmt: skip


def rate(funnel: Funnel) -> float | None:
    """The response rate, None when nobody was reached yet."""
    return funnel.response_rate if (funnel.delivered or funnel.sent) else None


def campaign_name(campaign: Campaign) -> str:
    """A campaign as the figures name it: its kind and number."""
    return campaign_label(campaign.kind, campaign.id)


def campaign_label(kind: CampaignKind, campaign_id: int | None) -> str:
    """'Invitation n° 12'."""
    return gettext("%(kind)s n° %(id)s", kind=kind_label(kind), id=campaign_id)


def by_list(funnels: list[tuple[int, Funnel]], total: Funnel) -> Figures:
    """The funnel of each list, then each person once."""
    rows = [funnel_cells(funnel.name, funnel) for _, funnel in funnels]
    keys: list[Any] = [list_id for list_id, _ in funnels]
    if total.invited:
        rows.append(funnel_cells(gettext("Total (chaque personne une fois)"), total))
        keys.append(None)
    columns = funnel_columns(gettext("Liste"))
    return Figures("lists", gettext("Parcours par liste"), columns, rows, keys)


def by_campaign(funnels: list[tuple[Campaign, Funnel]]) -> Figures:
    """The funnel of each campaign, over the people it wrote to."""
    rows = [funnel_cells(campaign_name(campaign), funnel) for campaign, funnel in funnels]
    columns = funnel_columns(gettext("Campagne"))
    return Figures("campaigns", gettext("Parcours par campagne"), columns, rows)


def per_day(days: list[Day], names: dict[int, str]) -> Figures:
    """Registrations per day, and the campaigns that left that day."""
    columns = [
        Column(gettext("Jour"), "label"),
        Column(gettext("Inscriptions"), drawn=True),
        Column(gettext("Envois lancés"), "text"),
    ]
    rows = [
        [day.day.isoformat(), day.registrations,
         ", ".join(names[launch.campaign_id] for launch in day.launches)]
        for day in days
    ]  # fmt: skip
    return Figures("days", gettext("Inscriptions par jour"), columns, rows)


WAIT_LABELS = {
    "under_1h": "< 1 h", "1h_6h": "1–6 h", "6h_24h": "6–24 h",
    "1d_3d": "1–3 j", "3d_7d": "3–7 j", "over_7d": "> 7 j",
}  # fmt: skip


def waits(groups: list[tuple[str, int]]) -> Figures:
    """How long people took to answer, in groups of waits."""
    columns = [
        Column(gettext("Délai de réponse"), "label"),
        Column(gettext("Personnes"), drawn=True),
    ]
    rows = [[wait_label(group), count] for group, count in groups if any(c for _, c in groups)]
    return Figures("waits", gettext("Délai entre l'invitation et la réponse"), columns, rows)


def wait_label(group: str) -> str:
    """'1–6 h', '3–7 days'…"""
    label = WAIT_LABELS[group]
    return label.replace(" j", " " + gettext("j")) if label.endswith(" j") else label


def lists_compared(
    funnels: list[tuple[int, Funnel]], lifts: dict[int, list[Lift]], past: dict[int, list[Past]]
) -> Figures:
    """Each list: its response, what the follow-ups brought among its people, its rate at the
    events before."""
    columns = [
        Column(gettext("Liste"), "label"),
        Column(gettext("Invités")),
        Column(gettext("Délivrés")),
        Column(gettext("Ont répondu")),
        Column(gettext("Inscrits")),
        Column(gettext("Taux de réponse"), "percent", drawn=True),
        Column(gettext("Relancés")),
        Column(gettext("Réponses après relance")),
        Column(gettext("Taux après relance"), "percent"),
        Column(gettext("Taux aux événements précédents"), "text"),
    ]
    rows = []
    for list_id, funnel in funnels:
        written = sum(lift.written for lift in lifts.get(list_id, []))
        answered = sum(lift.answered for lift in lifts.get(list_id, []))
        before = "; ".join(
            f"{long_date(p.event.starts_at)} : {_percent_text(rate(p.funnel))}"
            for p in past.get(list_id, [])
        )
        rows.append([
            funnel.name, funnel.invited, funnel.delivered, funnel.responded, funnel.registered,
            rate(funnel), written, answered, answered / written if written else None, before,
        ])  # fmt: skip
    keys = [list_id for list_id, _ in funnels]
    return Figures("compared", gettext("Réponse des listes"), columns, rows, keys)


def list_history(name: str, past: list[Past], now: tuple[str, Funnel]) -> Figures:
    """One list at the events before this one, then at this one."""
    rows = [funnel_cells(long_date(p.event.starts_at) + " — " + p.event.title, p.funnel)
            for p in past]  # fmt: skip
    rows.append(funnel_cells(now[0], now[1]))
    # The rate is what compares from one event to the next: the counts depend on the list's size.
    columns = [
        Column(c.header, c.kind, c.kind == "percent") for c in funnel_columns(gettext("Événement"))
    ]
    caption = gettext("%(list)s d'un événement à l'autre", list=name)
    return Figures("history", caption, columns, rows)


def _percent_text(value: float | None) -> str:
    return format_percent(value, "#0 %") if value is not None else "—"


def cell_text(value: Any, kind: str) -> str:
    """A cell as the page shows it."""
    if value is None:
        return "—"
    if kind == "percent":
        return _percent_text(value)
    if kind == "count":
        return format_number(value)
    return str(value)


def init_app(app: Flask) -> None:
    """Register the filter the tables of figures are written with."""
    app.jinja_env.filters.update(figure=cell_text)
