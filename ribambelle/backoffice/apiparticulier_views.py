"""Back office, quotient familial read from the CAF / MSA (API Particulier): one family (preview,
then confirm), many families (selection, preview table, confirm), and the organisation's settings.
Reading and confirming need the family management permission; the settings, the organisation's."""

import uuid

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ribambelle.apiparticulier import selectors, services
from ribambelle.apiparticulier.forms import IdentityForm, SettingsForm
from ribambelle.apiparticulier.provider import default_url
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import apply_errors, status_for
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_id
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

MANAGE = Perm.MANAGE_FAMILIES
BULK_MAX = 500


def _to(request, name, **kwargs):
    return redirect(f"backoffice:{name}", org_slug=request.organisation.slug, **kwargs)


def _family_page(request, family, *, status=200, identity_forms=None, error=None):
    adults = selectors.adults(family)
    forms = identity_forms or {}
    rows = [
        {
            "person": person,
            "complete": selectors.identity_for(person) is not None,
            "form": forms.get(person.pk)
            or IdentityForm(initial=IdentityForm.initial_for(person), prefix=f"p{person.pk}"),
        }
        for person in adults
    ]
    return render(
        request,
        "backoffice/apiparticulier/family.html",
        {
            "family": family,
            "consent": selectors.active_consent(family),
            "adults": rows,
            "config": selectors.settings_for(request.organisation),
            "error": error,
            "upload_type": selectors.caf_certificate_type(request.organisation),
            "nav": "families",
        },
        status=status,
    )


@staff_required(MANAGE)
def family_quotient(request, family_id: int):
    """GET: the family's QF, its consent, the allocataire's identity; POST: "Interroger la CAF / MSA"."""
    family = selectors.get_family_for_staff(request.membership, family_id)
    if request.method != "POST":
        return _family_page(request, family)
    try:
        fetch, answer = services.fetch_for_staff(family=family, acting_user=request.user)
    except services.NoConsent as error:
        return _family_page(request, family, status=403, error=error.message)
    if fetch is not None:
        return _to(request, "qf_preview", quotientfetch_id=fetch.pk)
    if answer.incomplete:
        message = _(
            "Complétez l'état civil d'un responsable (nom de naissance, prénoms, sexe, date et lieu de naissance)."
        )
        return _family_page(request, family, status=400, error=message)
    return _family_page(request, family, status=200, error=str(answer.error))


@staff_required(MANAGE)
def family_identity(request, family_id: int, person_id: int):
    family = selectors.get_family_for_staff(request.membership, family_id)
    person = next((p for p in selectors.adults(family) if p.pk == person_id), None)
    if person is None:
        if not selectors.person_in_family(family, person_id):
            raise Http404("Introuvable")
        return _family_page(request, family, status=400, error=_("L'allocataire est un responsable de la famille."))
    form = IdentityForm(request.POST or None, initial=IdentityForm.initial_for(person), prefix=f"p{person.pk}")
    if request.method == "POST" and form.is_valid():
        try:
            services.save_identity(person=person, values=form.cleaned_data, acting_user=request.user)
        except DomainError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("L'état civil de l'allocataire est enregistré."))
            return _to(request, "qf_family", family_id=family.pk)
    return _family_page(request, family, status=status_for(form), identity_forms={person.pk: form})


@staff_required(MANAGE)
def preview(request, quotientfetch_id: int):
    """Old value → new value, provider, reference month; "Enregistrer" or "Abandonner". A quotient
    typed by staff for that month or later is named, and replaced only if the agent ticks it."""
    fetch = selectors.get_fetch_for_staff(request.membership, quotientfetch_id)
    family = fetch.family
    manual = selectors.manual_newer_than(family, fetch.reference_month)
    if request.method == "POST":
        if request.POST.get("decision") == "abandonner":
            services.discard_fetches(fetches=[fetch], acting_user=request.user)
            messages.info(request, _("Rien n'a été enregistré."))
            return _to(request, "qf_family", family_id=family.pk)
        if manual and request.POST.get("manuel") not in ("garder", "remplacer"):
            return render(
                request,
                "backoffice/apiparticulier/preview.html",
                {"fetch": fetch, "family": family, "manual": manual, "choice_missing": True, "nav": "families"},
                status=400,
            )
        replace = {family.pk} if request.POST.get("manuel") == "remplacer" else set()
        services.confirm_fetches(fetches=[fetch], acting_user=request.user, replace_manual_ids=replace)
        messages.success(request, _("Le quotient familial lu auprès de la CAF / MSA est enregistré."))
        return _to(request, "family_quotients", family_id=family.pk)
    return render(
        request,
        "backoffice/apiparticulier/preview.html",
        {"fetch": fetch, "family": family, "manual": manual, "nav": "families"},
    )


@staff_required(MANAGE)
def bulk(request):
    """The families to read (filtered, ticked), then the reading, which leads to the preview table."""
    filterset = selectors.qf_family_list_for_staff(request.membership, request.GET)
    if request.method == "POST":
        ids = [i for i in (parse_id(v) for v in request.POST.getlist("famille")) if i][:BULK_MAX]
        families = selectors.families_by_ids_for_staff(request.membership, ids)
        if len(families) != len(set(ids)):
            raise Http404("Famille introuvable")
        if not families:
            messages.error(request, _("Cochez au moins une famille."))
            return _to(request, "qf_bulk")
        batch, rows = services.fetch_bulk(families=families, acting_user=request.user)
        request.session[f"qf_bulk_{batch}"] = [
            {"family": row.family.pk, "name": row.family.name, "outcome": row.outcome, "error": row.error}
            for row in rows
            if row.fetch is None
        ]
        return _to(request, "qf_bulk_preview", batch=batch)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "backoffice/apiparticulier/bulk.html",
        {"page": page, "filterset": filterset, "nav": "families", "bulk_max": BULK_MAX},
    )


@staff_required(MANAGE)
def bulk_preview(request, batch: uuid.UUID):
    fetches = selectors.with_manual_newer(selectors.batch_for_staff(request.membership, batch))
    problems = request.session.get(f"qf_bulk_{batch}", [])
    if request.method == "POST":
        if request.POST.get("decision") == "abandonner":
            services.discard_fetches(fetches=fetches, acting_user=request.user)
            messages.info(request, _("Rien n'a été enregistré."))
            return _to(request, "qf_bulk")
        chosen = {parse_id(v) for v in request.POST.getlist("enregistrer")}
        replace = {parse_id(v) for v in request.POST.getlist("remplacer")}
        selected = [f for f in fetches if f.pk in chosen]
        count = services.confirm_fetches(
            fetches=selected,
            acting_user=request.user,
            replace_manual_ids={f.family_id for f in selected if f.pk in replace},
        )
        request.session.pop(f"qf_bulk_{batch}", None)
        messages.success(
            request,
            _("%(n)s quotient(s) familial(aux) enregistré(s).") % {"n": count},
        )
        return _to(request, "qf_bulk")
    return render(
        request,
        "backoffice/apiparticulier/bulk_preview.html",
        {"fetches": fetches, "problems": problems, "batch": batch, "nav": "families"},
    )


@staff_required(Perm.MANAGE_ORGANISATION)
def settings(request):
    """Enabled, address, token (write-only: "••••1234" at most), SIRET; "Tester la connexion"."""
    config = selectors.settings_for(request.organisation)
    initial = {
        "enabled": config.enabled if config else False,
        "base_url": config.base_url if config else default_url(),
        "siret": config.siret if config else "",
    }
    masked = config.masked_token if config else ""
    form = SettingsForm(request.POST or None, initial=initial, masked_token=masked)
    check = None
    if request.method == "POST" and "tester" in request.POST:
        ok, message = services.check_connection(organisation=request.organisation, acting_user=request.user)
        check = {"ok": ok, "message": message}
        form = SettingsForm(initial=initial, masked_token=masked)
    elif request.method == "POST" and form.is_valid():
        try:
            services.save_settings(
                organisation=request.organisation,
                enabled=form.cleaned_data["enabled"],
                base_url=form.cleaned_data["base_url"],
                siret=form.cleaned_data["siret"],
                token=form.cleaned_data["token"],
                acting_user=request.user,
            )
        except DomainError as error:
            apply_errors(form, error)
        else:
            messages.success(request, _("Réglages API Particulier enregistrés."))
            return _to(request, "apiparticulier_settings")
    return render(
        request,
        "backoffice/apiparticulier/settings.html",
        {
            "form": form,
            "config": config,
            "check": check,
            "calls": selectors.recent_calls(request.organisation),
            "nav": "apiparticulier",
        },
        status=status_for(form),
    )


@require_POST
@staff_required(MANAGE)
def withdraw_consent(request, family_id: int):
    """Staff records a family's withdrawal (by letter, at the desk)."""
    family = selectors.get_family_for_staff(request.membership, family_id)
    services.withdraw_consent(family=family, acting_user=request.user)
    messages.success(request, _("Le retrait de l'accord est enregistré : plus aucune lecture ne sera faite."))
    return _to(request, "qf_family", family_id=family.pk)
