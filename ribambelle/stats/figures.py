"""The statistics charts: each builder reads its selector and returns a `Chart` — its series,
the sentence that says what it shows, and the table behind it (shown on demand, exported as CSV).

`CHARTS` lists them in page order; the page, the CSV export and the elected officials' summary
all go through `build`."""

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.core.formats import format_euros

from . import selectors
from .charts import Chart, Series, number, percent_change
from .selectors import AGE_BANDS, StatsScope
from .svg import sparkline

AGE_LABELS = {
    "0-2": gettext_lazy("0–2 ans"),
    "3-5": gettext_lazy("3–5 ans"),
    "6-11": gettext_lazy("6–11 ans"),
    "12+": gettext_lazy("12 ans et plus"),
}
MAX_LINES = 6  # beyond, the lines are unreadable: the activity filter narrows the chart


def month_label(day: date) -> str:
    return date_format(day, "b Y")


def week_label(day: date) -> str:
    return day.strftime("%d/%m")


def rate(part, whole) -> float:
    return round(float(part) * 100 / float(whole), 1) if whole else 0.0


def _months(scope: StatsScope) -> list[date]:
    months, day = [], scope.start.replace(day=1)
    while day <= scope.end:
        months.append(day)
        day = (day + timedelta(days=32)).replace(day=1)
    return months


# --- Occupancy ------------------------------------------------------------------------------------
def average_occupancy(rows: list[dict], *, today: date) -> float:
    """Places held ÷ places offered over the weeks already begun: the coming weeks are still
    filling up and would pull the average down."""
    begun = [row for row in rows if row["week"] <= today] or rows
    return rate(sum(row["booked"] or 0 for row in begun), sum(row["places"] or 0 for row in begun))


def _openings(scope: StatsScope, cache: dict | None) -> list:
    """The occupancy, full days and waiting-list charts read the same open days: once per page."""
    if cache is None:
        return selectors.opening_counts(scope)
    if "openings" not in cache:
        cache["openings"] = selectors.opening_counts(scope)
    return cache["openings"]


def _occupancy_rows(scope: StatsScope, cache: dict | None) -> list[dict]:
    return selectors.occupancy_by_week(scope, _openings(scope, cache))


def occupancy(scope: StatsScope, *, today: date, cache: dict | None = None) -> Chart:
    rows = _occupancy_rows(scope, cache)
    weeks = sorted({row["week"] for row in rows})
    places = defaultdict(int)
    for row in rows:
        places[(row["activity_id"], row["activity__name"])] += row["places"] or 0
    shown = sorted(places, key=lambda key: (-places[key], key[1]))[:MAX_LINES]
    by_key = {(row["activity_id"], row["week"]): row for row in rows}
    series = []
    for activity_id, name in shown:
        values = []
        for week in weeks:
            row = by_key.get((activity_id, week))
            values.append(rate(row["booked"], row["places"]) if row and row["places"] else None)
        series.append(Series(name, values))
    average_rate = average_occupancy(rows, today=today)
    full_weeks = defaultdict(int)
    open_weeks = defaultdict(int)
    for row in rows:
        open_weeks[row["activity__name"]] += 1
        full_weeks[row["activity__name"]] += 1 if row["full"] else 0
    if not rows:
        summary = _("Aucune ouverture sur la période choisie.")
    else:
        busiest = max(open_weeks, key=lambda name: (full_weeks[name], open_weeks[name]))
        average = number(average_rate)
        if full_weeks[busiest]:
            summary = _(
                "« %(name)s » a été complet au moins un jour %(full)s semaines sur %(weeks)s ; "
                "taux d'occupation moyen de toutes les activités : %(rate)s %%."
            ) % {"name": busiest, "full": full_weeks[busiest], "weeks": open_weeks[busiest], "rate": average}
        else:
            summary = _("Aucune activité n'a été complète ; taux d'occupation moyen : %(rate)s %%.") % {"rate": average}
    if len(places) > MAX_LINES:
        summary += " " + _(
            "Le graphique montre les %(n)s activités qui offrent le plus de places ; le tableau les montre toutes."
        ) % {"n": MAX_LINES}
    return Chart(
        key="occupation",
        title=_("Taux d'occupation par activité et par semaine"),
        kind="line",
        categories=[week_label(week) for week in weeks],
        series=series,
        summary=summary,
        unit="%",
        y_max=100,
        table_header=[
            _("Semaine du"),
            _("Activité"),
            _("Places offertes"),
            _("Places réservées"),
            _("Taux d'occupation (%)"),
            _("Unités complètes"),
            _("En liste d'attente"),
        ],
        table_rows=[
            [
                row["week"].strftime("%d/%m/%Y"),
                row["activity__name"],
                row["places"],
                row["booked"],
                number(rate(row["booked"], row["places"])),
                row["full"],
                row["waiting"],
            ]
            for row in rows
        ],
    )


def full_days(scope: StatsScope, *, today: date, cache: dict | None = None) -> Chart:
    rows = selectors.full_days(scope, _openings(scope, cache))
    if rows:
        busiest = max(rows, key=lambda row: (rate(row["full_days"], row["days"]), row["days"]))
        summary = _("« %(name)s » a été complet %(full)s jours sur %(days)s.") % {
            "name": busiest["activity__name"],
            "full": busiest["full_days"],
            "days": busiest["days"],
        }
        others = sum(1 for row in rows if row["full_days"]) - (1 if busiest["full_days"] else 0)
        if not busiest["full_days"]:
            summary = _("Aucun jour complet sur la période.")
        elif others:
            summary += " " + _("%(n)s autre(s) activité(s) ont eu au moins un jour complet.") % {"n": others}
    else:
        summary = _("Aucune ouverture sur la période choisie.")
    return Chart(
        key="jours-complets",
        title=_("Jours complets par activité"),
        kind="bar",
        categories=[row["activity__name"] for row in rows],
        series=[
            Series(_("Jours ouverts"), [row["days"] for row in rows]),
            Series(_("Jours complets"), [row["full_days"] for row in rows]),
        ],
        summary=summary,
        table_header=[_("Activité"), _("Jours ouverts"), _("Jours complets"), _("Part des jours complets (%)")],
        table_rows=[
            [row["activity__name"], row["days"], row["full_days"], number(rate(row["full_days"], row["days"]))]
            for row in rows
        ],
    )


def waiting_list(scope: StatsScope, *, today: date, cache: dict | None = None) -> Chart:
    rows = _occupancy_rows(scope, cache)
    weeks = sorted({row["week"] for row in rows})
    totals = defaultdict(int)
    for row in rows:
        totals[row["week"]] += row["waiting"] or 0
    values = [totals[week] for week in weeks]
    if any(values):
        peak_week = max(weeks, key=lambda week: (totals[week], -week.toordinal()))
        summary = _(
            "%(total)s demandes sont restées en liste d'attente ; au plus %(peak)s la semaine du %(week)s : "
            "la demande dépasse l'offre."
        ) % {"total": number(sum(values)), "peak": totals[peak_week], "week": peak_week.strftime("%d/%m/%Y")}
    else:
        summary = _("Aucune demande en liste d'attente sur la période.")
    return Chart(
        key="liste-attente",
        title=_("Longueur de la liste d'attente par semaine"),
        kind="line",
        categories=[week_label(week) for week in weeks],
        series=[Series(_("Demandes en attente"), values)],
        summary=summary,
        table_header=[_("Semaine du"), _("Demandes en attente")],
        table_rows=[[week.strftime("%d/%m/%Y"), totals[week]] for week in weeks],
    )


# --- Attendance -----------------------------------------------------------------------------------------
def attendance(scope: StatsScope, *, today: date) -> Chart:
    rows = selectors.attendance_by_month(scope)
    months = sorted({row["month"] for row in rows})
    fields = ["present", "absent", "excused", "unmarked", "late_cancelled", "booked"]
    totals = {month: dict.fromkeys(fields, 0) for month in months}
    for row in rows:
        for name in fields:
            totals[row["month"]][name] += row[name]
    grand = {name: sum(t[name] for t in totals.values()) for name in fields}
    if grand["booked"]:
        summary = _(
            "Sur %(booked)s places réservées : %(present)s présences, %(absent)s absences non justifiées "
            "(%(rate)s %%), %(excused)s absences justifiées ; %(late)s annulations après le délai."
        ) % {
            "booked": number(grand["booked"]),
            "present": number(grand["present"]),
            "absent": number(grand["absent"]),
            "rate": number(rate(grand["absent"], grand["booked"])),
            "excused": number(grand["excused"]),
            "late": number(grand["late_cancelled"]),
        }
    else:
        summary = _("Aucune réservation sur la période choisie.")
    labels = [
        ("present", _("Présents")),
        ("absent", _("Absents non justifiés")),
        ("excused", _("Absences justifiées")),
        ("unmarked", _("Non pointés ou à venir")),
    ]
    return Chart(
        key="presences",
        title=_("Présences et réservations par mois"),
        kind="stacked",
        categories=[month_label(month) for month in months],
        series=[Series(label, [totals[month][name] for month in months]) for name, label in labels],
        summary=summary,
        table_header=[
            _("Mois"),
            _("Activité"),
            _("Places réservées"),
            _("Présents"),
            _("Absents non justifiés"),
            _("Absences justifiées"),
            _("Non pointés ou à venir"),
            _("Annulations après le délai"),
        ],
        table_rows=[
            [
                month_label(row["month"]),
                row["activity__name"],
                row["booked"],
                row["present"],
                row["absent"],
                row["excused"],
                row["unmarked"],
                row["late_cancelled"],
            ]
            for row in rows
        ],
    )


# --- Children and families --------------------------------------------------------------------------------
def children(scope: StatsScope, *, today: date) -> Chart:
    rows = selectors.children_by_month(scope)
    served = selectors.people_served(scope)
    months = sorted({row["month"] for row in rows})
    counts = {(row["month"], row["band"]): row["children"] for row in rows}
    bands = [key for key, *_ in AGE_BANDS]
    if served["children"]:
        detail = ", ".join(f"{AGE_LABELS[key]} : {served['bands'][key]}" for key in bands)
        summary = _(
            "%(children)s enfants de %(families)s familles accueillis sur la période, dont %(new)s nouvelles "
            "familles ; par âge au début de la période : %(detail)s."
        ) % {
            "children": number(served["children"]),
            "families": number(served["families"]),
            "new": number(served["new_families"]),
            "detail": detail,
        }
    else:
        summary = _("Aucun enfant accueilli sur la période choisie.")
    chart = Chart(
        key="enfants",
        title=_("Enfants accueillis par mois et tranche d'âge"),
        kind="stacked",
        categories=[month_label(month) for month in months],
        series=[Series(str(AGE_LABELS[key]), [counts.get((month, key), 0) for month in months]) for key in bands],
        summary=summary,
        table_header=[_("Mois"), *[str(AGE_LABELS[key]) for key in bands]],
        table_rows=[[month_label(month), *[counts.get((month, key), 0) for key in bands]] for month in months],
    )
    chart.served = served
    return chart


# --- Money ---------------------------------------------------------------------------------------------------
def money(scope: StatsScope, *, today: date) -> Chart:
    rows = selectors.money_by_month(scope)
    invoiced = sum((row["invoiced"] for row in rows), Decimal(0))
    collected = sum((row["collected"] for row in rows), Decimal(0))
    unpaid = sum((row["unpaid"] for row in rows), Decimal(0))
    if rows:
        summary = _(
            "Facturé : %(invoiced)s ; encaissé : %(collected)s ; reste à payer sur les factures de la période : "
            "%(unpaid)s."
        ) % {"invoiced": format_euros(invoiced), "collected": format_euros(collected), "unpaid": format_euros(unpaid)}
    else:
        summary = _("Aucune facture ni aucun règlement sur la période choisie.")
    if scope.structure_id or scope.activity_id:
        summary += " " + _(
            "Une facture couvre toutes les activités d'une famille : "
            "ces montants ne sont pas filtrés par structure ou activité."
        )
    chart = Chart(
        key="argent",
        title=_("Facturé, encaissé et impayé par mois"),
        kind="bar",
        unit="€",
        categories=[month_label(row["month"]) for row in rows],
        series=[
            Series(_("Facturé"), [row["invoiced"] for row in rows]),
            Series(_("Encaissé"), [row["collected"] for row in rows]),
            Series(_("Reste à payer"), [row["unpaid"] for row in rows]),
        ],
        summary=summary,
        table_header=[_("Mois"), _("Facturé (€)"), _("Encaissé (€)"), _("Reste à payer (€)")],
        table_rows=[[month_label(row["month"]), row["invoiced"], row["collected"], row["unpaid"]] for row in rows],
    )
    chart.totals = {"invoiced": invoiced, "collected": collected, "unpaid": unpaid}
    return chart


AGEING_LABELS = {
    "not_due": gettext_lazy("Pas encore échu"),
    "under_30": gettext_lazy("Moins de 30 jours"),
    "30_90": gettext_lazy("De 30 à 90 jours"),
    "over_90": gettext_lazy("Plus de 90 jours"),
}


def ageing(scope: StatsScope, *, today: date) -> Chart:
    buckets = selectors.unpaid_ageing(scope, today=today)
    total = sum((b["amount"] for b in buckets.values()), Decimal(0))
    if total:
        summary = _(
            "Au %(day)s, les familles doivent %(total)s, dont %(late)s échus depuis plus de 90 jours "
            "(%(count)s factures)."
        ) % {
            "day": today.strftime("%d/%m/%Y"),
            "total": format_euros(total),
            "late": format_euros(buckets["over_90"]["amount"]),
            "count": buckets["over_90"]["count"],
        }
    else:
        summary = _("Au %(day)s, aucune facture ne reste à payer.") % {"day": today.strftime("%d/%m/%Y")}
    return Chart(
        key="anciennete-impayes",
        title=_("Ancienneté des impayés (jours après l'échéance)"),
        kind="bar",
        unit="€",
        categories=[str(AGEING_LABELS[key]) for key in buckets],
        series=[Series(_("Reste à payer"), [b["amount"] for b in buckets.values()])],
        summary=summary,
        table_header=[_("Ancienneté"), _("Reste à payer (€)"), _("Factures")],
        table_rows=[[str(AGEING_LABELS[key]), b["amount"], b["count"]] for key, b in buckets.items()],
    )


# --- Hours -----------------------------------------------------------------------------------------------------
def hours(scope: StatsScope, *, today: date) -> Chart:
    rows = selectors.hours_by_month(scope)
    months = sorted({row["month"] for row in rows})
    kinds = sorted({row["split"] for row in rows})
    values = {(row["month"], row["split"]): row["hours"] for row in rows}
    per_kind = {kind: sum((values.get((m, kind), Decimal(0)) for m in months), Decimal(0)) for kind in kinds}
    total = sum(per_kind.values(), Decimal(0))
    if total:
        detail = ", ".join(f"{kind} : {number(per_kind[kind])} h" for kind in kinds)
        summary = _("%(total)s heures de présence sur la période (%(detail)s).") % {
            "total": number(total),
            "detail": detail,
        }
    else:
        summary = _("Aucune présence pointée sur la période choisie.")
    chart = Chart(
        key="heures",
        title=_("Heures de présence par mois et type d'accueil"),
        kind="stacked",
        unit="h",
        categories=[month_label(month) for month in months],
        series=[Series(kind, [values.get((month, kind), 0) for month in months]) for kind in kinds],
        summary=summary,
        table_header=[_("Mois"), *kinds, _("Total (h)")],
        table_rows=[
            [
                month_label(month),
                *[values.get((month, kind), Decimal("0.00")) for kind in kinds],
                sum((values.get((month, kind), Decimal(0)) for kind in kinds), Decimal(0)),
            ]
            for month in months
        ],
    )
    chart.total = total
    return chart


CHARTS = {
    "occupation": occupancy,
    "jours-complets": full_days,
    "liste-attente": waiting_list,
    "presences": attendance,
    "enfants": children,
    "argent": money,
    "anciennete-impayes": ageing,
    "heures": hours,
}


def build(scope: StatsScope, *, today: date, keys=None) -> list[Chart]:
    cache = {}
    return [CHARTS[key](scope, today=today, **({"cache": cache} if key in SHARED else {})) for key in (keys or CHARTS)]


SHARED = {"occupation", "jours-complets", "liste-attente"}


def trend_figures(membership, *, today: date) -> list[dict]:
    """The dashboard's figures of this week with their trend over eight weeks and the change
    from last week, said in words."""
    weeks = selectors.weekly_trend(membership, today=today)
    labels = {
        "booked": _("Places réservées cette semaine"),
        "present": _("Présences pointées cette semaine"),
        "children": _("Enfants attendus cette semaine"),
    }
    figures = []
    for key, label in labels.items():
        values = [week[key] for week in weeks]
        change = percent_change(values[-1], values[-2]) if len(values) > 1 else None
        if change is None:
            said = _("pas de comparaison possible avec la semaine dernière")
        elif change == 0:
            said = _("stable par rapport à la semaine dernière")
        else:
            said = _("%(sign)s%(n)s %% par rapport à la semaine dernière") % {
                "sign": "+" if change > 0 else "−",
                "n": abs(change),
            }
        text = _("%(label)s : %(value)s, %(said)s ; évolution sur huit semaines.") % {
            "label": label,
            "value": values[-1],
            "said": said,
        }
        figures.append(
            {
                "key": key,
                "label": label,
                "value": values[-1],
                "values": values,
                "change": change,
                "said": said,
                "sparkline": sparkline(values, label=text),
            }
        )
    return figures
