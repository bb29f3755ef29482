"""The deliverability table as a table of figures (service/manage/figures.py), for its files:
one row per campaign, one for the event's own emails, then the total; counts and rates, the
most frequent reasons in one cell."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext

from service.manage.deliverability_labels import line_name, reason_kind
from service.manage.figures import Column, Figures
from service.tracking.deliverability import Line

RATED = ("failed", "bounced", "dropped", "spam_reports", "unsubscribed")


def _columns() -> list[Column]:
    """Each figure's column, its header in the page's language."""
    return [
        Column(gettext("Campagne"), "label"),
        Column(gettext("Objet"), "text"),
        Column(gettext("Envoyés")),
        Column(gettext("En échec")),
        Column(gettext("Taux d'échec"), "percent"),
        Column(gettext("Rebonds")),
        Column(gettext("Taux de rebond"), "percent"),
        Column(gettext("Rejetés par SendGrid")),
        Column(gettext("Taux de rejet"), "percent"),
        Column(gettext("Signalements de spam")),
        Column(gettext("Taux de signalement"), "percent"),
        Column(gettext("Désinscriptions")),
        Column(gettext("Taux de désinscription"), "percent"),
        Column(gettext("Raisons les plus fréquentes"), "text"),
    ]


def _cells(name: str, line: Line) -> list[Any]:
    cells: list[Any] = [name, line.subject, line.sent]
    for figure in RATED:
        cells += [getattr(line, figure), line.rate(figure)]
    cells.append(
        "; ".join(f"{reason_kind(r.kind)} : {r.text or '—'} ({r.count})" for r in line.reasons)
    )
    return cells


def deliverability_table(found: list[Line], total: Line, title: str) -> Figures:
    """`found` then `total`, as the files of the deliverability panel write them."""
    rows = [_cells(line_name(line), line) for line in found]
    rows.append(_cells(gettext("Total"), total))
    return Figures("deliverability", title, _columns(), rows)
