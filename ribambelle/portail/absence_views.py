"""Portal: "Signaler une absence" on a booked day (two taps from the dashboard), a certificate sent
later, and the family's own certificate file. Thin views over ribambelle.absences.services."""

from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from ribambelle.absences import selectors, services
from ribambelle.absences.forms import CertificateForm, ReportForm
from ribambelle.bookings.services import deadline_for, is_past_deadline
from ribambelle.core.dates import shown_date
from ribambelle.core.formpage import form_page
from ribambelle.documents.http import file_response
from ribambelle.tenancy.access import family_required


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return reverse("portail:home", kwargs={"org_slug": request.organisation.slug})


def _upload(form):
    files = form.cleaned_data.get("certificate") or []
    return files[0] if files else None


@family_required
def report(request, booking_id: int):
    booking = selectors.get_booking_to_report(request.user.family, booking_id)
    rule = selectors.rule_for(request.organisation)
    form = ReportForm(request.POST if request.method == "POST" else None, request.FILES or None)

    def said(outcome) -> str:
        values = {"name": booking.child.first_name, "date": shown_date(booking.date)}
        if outcome.cancelled:
            return (
                _("%(name)s : la réservation du %(date)s est annulée (avant le délai), rien ne sera facturé.") % values
            )
        if outcome.report.certificate:
            return _("%(name)s : absence du %(date)s signalée, avec son certificat.") % values
        return _("%(name)s : absence du %(date)s signalée. Vous pouvez envoyer un certificat jusqu'au %(due)s.") % {
            **values,
            "due": shown_date(outcome.report.certificate_due(rule)),
        }

    return form_page(
        request,
        form,
        save=lambda form: services.report_absence(
            booking=booking,
            reason=form.cleaned_data["reason"],
            upload=_upload(form),
            acting_user=request.user,
            request=request,
        ),
        success=said,
        redirect_to=lambda outcome: redirect(_next(request)),
        template="portail/absences/report.html",
        context={
            "booking": booking,
            "late": is_past_deadline(booking.opening),
            "deadline": deadline_for(booking.opening),
            "rule": rule,
            "next": _next(request),
            "active_tab": "bookings",
        },
    )


@family_required
def certificate(request, absencereport_id: int):
    report = selectors.get_report_for_family(request.user.family, absencereport_id)
    rule = selectors.rule_for(request.organisation)
    return form_page(
        request,
        CertificateForm(request.POST if request.method == "POST" else None, request.FILES or None),
        save=lambda form: services.add_certificate(
            report=report, upload=_upload(form), acting_user=request.user, request=request
        ),
        success=_("Certificat envoyé : l'absence est justifiée."),
        redirect_to=redirect("portail:home", org_slug=request.organisation.slug),
        template="portail/absences/certificate.html",
        context={"report": report, "due": report.certificate_due(rule), "active_tab": "bookings"},
    )


@family_required
def certificate_file(request, absencereport_id: int):
    report = selectors.get_report_for_family(request.user.family, absencereport_id)
    return file_response(
        report.certificate,
        content_type=report.certificate_content_type,
        filename_stem=f"certificat-{report.booking.child.first_name}-{report.booking.date:%Y-%m-%d}",
        extension=report.certificate_extension,
    )
