"""The contract summary the parent signs (reportlab, through core.pdf like billing/pdf.py)."""

import io

from django.utils.translation import gettext as _
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from ribambelle.billing.pdf import in_french
from ribambelle.core.dates import long_date
from ribambelle.core.pdf import pdf_euros, pdf_paragraph, pdf_text

from . import pricing

_STYLES = getSampleStyleSheet()
BODY = _STYLES["BodyText"].clone("creche_body", fontSize=9.5, leading=12)
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def _p(text) -> Paragraph:
    return pdf_paragraph(text, BODY)


def _hours(value) -> str:
    return f"{value.normalize():f}".replace(".", ",") + " h"


@in_french
def contract_pdf(contract) -> bytes:
    versions = sorted(contract.versions.all(), key=lambda v: v.valid_from)
    version = versions[-1]
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, title=_("Contrat d'accueil"))
    story = [
        _p(contract.organisation.name),
        Paragraph(pdf_text(_("Contrat d'accueil – %(name)s") % {"name": contract.activity.name}), _STYLES["Title"]),
        _p(
            _("Enfant : %(child)s, né(e) le %(birth)s")
            % {
                "child": contract.child,
                "birth": long_date(contract.child.birth_date) if contract.child.birth_date else "—",
            }
        ),
        _p(_("Famille : %(family)s") % {"family": contract.family.name}),
        _p(
            _("Du %(start)s au %(end)s – %(kind)s")
            % {
                "start": long_date(contract.start_date),
                "end": long_date(contract.end_date),
                "kind": contract.get_kind_display(),
            }
        ),
        Spacer(1, 4 * mm),
    ]
    rows = [[_("Jour"), _("Arrivée"), _("Départ"), _("Heures")]]
    for weekday, slot in sorted(version.schedule.items(), key=lambda item: int(item[0])):
        rows.append([DAYS[int(weekday)], slot[0], slot[1], _hours(pricing.slot_hours(slot))])
    if len(rows) > 1:
        table = Table(rows, colWidths=[40 * mm, 30 * mm, 30 * mm, 30 * mm])
        table.setStyle(TableStyle([("FONTSIZE", (0, 0), (-1, -1), 9), ("LINEBELOW", (0, 0), (-1, 0), 0.5, "#000000")]))
        story += [table, Spacer(1, 4 * mm)]
    monthly = pricing.monthly_amount(
        yearly_hours=version.yearly_hours, hourly=version.hourly_rate, months=version.months_billed
    )
    facts = [
        _("Heures par semaine : %(h)s ; semaines par an : %(w)s ; heures par an : %(y)s")
        % {
            "h": _hours(version.weekly_hours),
            "w": f"{version.weeks_per_year.normalize():f}",
            "y": _hours(version.yearly_hours),
        },
        _("Ressources mensuelles retenues : %(r)s (source : %(s)s)")
        % {"r": pdf_euros(version.monthly_resources), "s": version.get_resources_source_display()},
        _("Enfants à charge : %(n)s%(aeeh)s ; taux d'effort : %(t)s %%")
        % {
            "n": version.dependent_children,
            "aeeh": _(" (AEEH)") if version.aeeh else "",
            "t": f"{version.rate_percent.normalize():f}".replace(".", ","),
        },
        _("Tarif horaire : %(t)s €/h (barème PSU du %(d)s)")
        % {"t": f"{version.hourly_rate.normalize():f}".replace(".", ","), "d": long_date(version.scale.valid_from)},
        _("Mensualité : %(m)s sur %(n)s mois, plus les heures complémentaires, moins les absences déductibles.")
        % {"m": pdf_euros(monthly), "n": version.months_billed},
        _(
            "Le tarif horaire suit le barème national de la CAF : un nouveau plafond ou plancher "
            "s'applique au contrat en cours."
        ),
    ]
    story += [_p(text) for text in facts]
    story += [Spacer(1, 12 * mm), _p(_("Fait le ………………  Signature du ou des responsables légaux :"))]
    doc.build(story)
    return buffer.getvalue()
