"""Back office, "Statistiques": charts of occupancy, attendance, children, money and hours for
directors, finance and administrators (within their structures), their data tables as CSV, and
the one-page summary for elected officials, in HTML and PDF."""

from datetime import date
from decimal import Decimal

from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from ribambelle.core.exports import csv_response
from ribambelle.stats import figures, selectors, svg
from ribambelle.stats.charts import number
from ribambelle.stats.forms import StatsFilterForm
from ribambelle.stats.pdf import summary_pdf
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

STATS = Perm.VIEW_STATISTICS
FORM_KEYS = {"periode", "annee", "mois", "du", "au", "structure", "activite"}


def _form(request, today: date) -> StatsFilterForm:
    data = request.GET if FORM_KEYS & set(request.GET) else None
    return StatsFilterForm(
        data,
        structures=selectors.structures_for_stats(request.membership),
        activities=selectors.activities_for_stats(request.membership),
        today=today,
    )


def _status(form) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


@staff_required(STATS)
def statistics(request):
    today = timezone.localdate()
    form = _form(request, today)
    scope = form.scope(request.membership)
    charts = figures.build(scope, today=today)
    for chart in charts:
        chart.svg = svg.render(chart)
    context = {
        "form": form,
        "scope": scope,
        "charts": charts,
        "query": request.GET.urlencode(),
        "nav": "statistics",
    }
    return render(request, "backoffice/statistics/index.html", context, status=_status(form))


def _cell(value):
    """Figures as French spreadsheets read them: decimal comma."""
    if isinstance(value, (Decimal, float)):
        return f"{value:.2f}".replace(".", ",") if isinstance(value, Decimal) else number(value).replace("\u202f", "")
    return value


@staff_required(STATS)
def statistics_csv(request, chart):
    if chart not in figures.CHARTS:
        raise Http404(_("Ce graphique n'existe pas."))
    today = timezone.localdate()
    form = _form(request, today)
    scope = form.scope(request.membership)
    (built,) = figures.build(scope, today=today, keys=[chart])
    return csv_response(
        filename=f"statistiques-{chart}-{scope.start:%Y%m%d}-{scope.end:%Y%m%d}.csv",
        header=built.table_header,
        rows=([_cell(cell) for cell in row] for row in built.table_rows),
    )


ELECTED_CHARTS = ["enfants", "heures", "presences", "jours-complets", "argent"]


def _summary(request):
    today = timezone.localdate()
    form = _form(request, today)
    scope = form.scope(request.membership)
    charts = {chart.key: chart for chart in figures.build(scope, today=today, keys=ELECTED_CHARTS)}
    occupancy = figures.average_occupancy(selectors.occupancy_by_week(scope), today=today)
    served = charts["enfants"].served
    key_figures = [
        (_("Enfants accueillis"), number(served["children"])),
        (_("Familles accueillies"), number(served["families"])),
        (_("dont nouvelles familles"), number(served["new_families"])),
        (_("Heures de présence"), f"{number(charts['heures'].total)} h"),
        (_("Taux d'occupation moyen"), f"{number(occupancy)} %"),
        (_("Montant facturé"), figures.format_euros(charts["argent"].totals["invoiced"])),
        (_("Montant encaissé"), figures.format_euros(charts["argent"].totals["collected"])),
    ]
    return form, scope, [charts[key] for key in ELECTED_CHARTS], key_figures


@staff_required(STATS)
def elected_summary(request):
    form, scope, charts, key_figures = _summary(request)
    for chart in charts:
        chart.svg = svg.render(chart)
    context = {
        "form": form,
        "scope": scope,
        "charts": charts,
        "key_figures": key_figures,
        "query": request.GET.urlencode(),
        "nav": "statistics",
    }
    return render(request, "backoffice/statistics/elected.html", context, status=_status(form))


@staff_required(STATS)
def elected_summary_pdf(request):
    _form_, scope, charts, key_figures = _summary(request)
    content = summary_pdf(request.organisation, scope=scope, charts=charts, key_figures=key_figures)
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="synthese-elus-{scope.start:%Y}-{scope.end:%Y}.pdf"'
    return response
