"""Portal tab "Ma famille" (seed 000 "ONGLET MA FAMILLE", seed 004 "ONGLET • Ma famille")."""

import json
from functools import wraps

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import apply_errors, form_page, status_for
from ribambelle.core.wording import of
from ribambelle.custody import selectors as custody_selectors
from ribambelle.custody.selectors import household_of
from ribambelle.families import selectors, services
from ribambelle.families.export import family_export
from ribambelle.families.forms import (
    AdultForm,
    AuthorisedPersonForm,
    ChildForm,
    FamilyContactForm,
    HealthRecordForm,
    VaccinationForm,
)
from ribambelle.families.models import Person, PersonRole
from ribambelle.tenancy.access import family_required

PENDING_NOTICE = gettext_lazy("Certaines données sont en attente de modération")


def family_view(view):
    """family_required, with one more guarantee: an ID outside the family answers 404
    before anything else (even before the consent page), so no ID can be probed."""

    protected = family_required(view)

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if user.is_authenticated and user.is_family:
            for name in selectors.FAMILY_OBJECTS:
                if name in kwargs and not selectors.family_owns(user, name, kwargs[name]):
                    raise Http404("Introuvable")
        return protected(request, *args, **kwargs)

    return wrapped


def _to_family(request):
    return redirect("portail:family", org_slug=request.organisation.slug)


def _report(request, outcome) -> None:
    if not outcome.changed:
        messages.info(request, _("Aucune modification : rien n'a changé."))
        return
    if outcome.applied:
        messages.success(request, _("Vos modifications sont enregistrées."))
    if outcome.pending:
        messages.warning(
            request,
            _(
                "Certaines données sont en attente de modération : %(fields)s. "
                "Le service va les examiner ; vous recevrez un e-mail de confirmation ou de refus."
            )
            % {"fields": ", ".join(outcome.pending)},
        )


def _render(request, template, context, form=None):
    context.setdefault("active_tab", "family")
    return render(request, template, context, status=status_for(form))


def _family_form_page(request, form, *, save, context, refresh=None):
    """The tab's form pages: one service call whose outcome (saved, or waiting for moderation) is reported."""

    def save_and_report(form):
        outcome = save(form)
        _report(request, outcome)
        return outcome

    return form_page(
        request,
        form,
        save=save_and_report,
        success=None,
        redirect_to=_to_family(request),
        template="portail/family/form.html",
        context={"active_tab": "family", **context},
        refresh=refresh,
    )


@family_view
def family(request):
    family = selectors.family_file(request.organisation, request.user.family_id, with_health=request.consents.health)
    viewer = household_of(request.user)
    households = []
    if viewer is not None:
        # Separated parents: each one's address and contacts only, the other's when the file says so.
        households, others, hidden = custody_selectors.portal_households(family, viewer)
        for adult in family.adults:
            adult.other_household = adult.pk in others
            adult.contacts_hidden = adult.pk in hidden
    return _render(
        request,
        "portail/family/overview.html",
        {
            "family": family,
            "separated": viewer is not None,
            "viewer": viewer,
            "households": households,
            "decisions": selectors.recent_decisions(family),
            "health_allowed": request.consents.health,
            "pending_notice": PENDING_NOTICE,
        },
    )


def _not_for_separated_parents(request) -> None:
    """A separated parent's coordinates live in the household (kept by the service); the other
    household's adults are not hers or his to read or change."""
    if household_of(request.user) is not None:
        raise Http404("Introuvable")


@family_view
def family_edit(request):
    _not_for_separated_parents(request)
    family = selectors.family_file(request.organisation, request.user.family_id)
    initial = selectors.pending_values(family.pending_family)
    form = FamilyContactForm(request.POST or None, instance=family, initial=initial)

    return _family_form_page(
        request,
        form,
        save=lambda form: services.update_family(
            family=family, values=form.cleaned_data, acting_user=request.user, request=request, read=form.read_values()
        ),
        refresh=family,
        context={"title": _("Nom, adresse et coordonnées"), "pending": family.pending_family},
    )


@family_view
def person_edit(request, person_id: int):
    viewer = household_of(request.user)
    if viewer is not None and person_id in custody_selectors.other_household_adults(request.user.family, viewer):
        raise Http404("Introuvable")
    family = request.user.family
    person = selectors.get_person_for_family(family, person_id)
    pending = list(family.change_requests.filter(status="pending", person=person, kind="person_update").order_by("id"))
    form_class = ChildForm if person.is_child else AdultForm
    form = form_class(
        request.POST or None,
        instance=person,
        initial=selectors.pending_values(pending),
        organisation=request.organisation,
    )

    def save(form):
        values = form.values() if person.is_child else dict(form.cleaned_data)
        fresh = selectors.get_person_for_family(family, person_id)
        return services.update_person(
            person=fresh, values=values, acting_user=request.user, request=request, read=form.read_values()
        )

    return _family_form_page(
        request,
        form,
        save=save,
        context={"title": f"{person.first_name} {person.last_name}", "pending": pending, "person": person},
    )


@family_view
def child_add(request):
    form = ChildForm(
        request.POST or None,
        instance=Person(organisation=request.organisation, family=request.user.family, role=PersonRole.CHILD),
        initial={"last_name": request.user.family.name},
        organisation=request.organisation,
    )
    if request.method == "POST" and form.is_valid():
        try:
            outcome = services.add_person(
                family=request.user.family,
                role=PersonRole.CHILD,
                values=form.values(),
                acting_user=request.user,
                request=request,
            )
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            if outcome.pending:
                messages.warning(
                    request,
                    _(
                        "Certaines données sont en attente de modération : l'ajout %(of_name)s sera visible "
                        "quand le service l'aura validé. Vous recevrez un e-mail."
                    )
                    % {"of_name": of(outcome.pending[0])},
                )
            else:
                messages.success(request, _("%(name)s est ajouté(e) à votre famille.") % {"name": outcome.applied[0]})
            return _to_family(request)
    return _render(request, "portail/family/form.html", {"form": form, "title": _("Ajouter un enfant")}, form)


@family_view
def child_health(request, person_id: int):
    family = request.user.family
    child = selectors.get_child_for_family(family, person_id)
    if not request.consents.health:
        messages.info(
            request,
            _(
                "Pour renseigner les informations de santé, donnez d'abord votre accord pour les données "
                "sanitaires dans « Mon compte »."
            ),
        )
        return redirect("portail:account", org_slug=request.organisation.slug)
    record = selectors.health_record_of(child)
    form = HealthRecordForm(None, instance=record, prefix="sante")
    vaccination_form = VaccinationForm(None, prefix="vaccin")
    if request.method == "POST" and "add_vaccination" in request.POST:
        vaccination_form = VaccinationForm(request.POST, prefix="vaccin")
        if vaccination_form.is_valid():
            try:
                services.add_vaccination(
                    child=child,
                    vaccine=vaccination_form.cleaned_data["vaccine"],
                    when=vaccination_form.cleaned_data["date"],
                    acting_user=request.user,
                    request=request,
                )
            except (DomainError, ValidationError) as error:
                apply_errors(vaccination_form, error)
            else:
                messages.success(request, _("La vaccination est enregistrée."))
                return redirect("portail:child_health", org_slug=request.organisation.slug, person_id=child.pk)
    elif request.method == "POST":
        form = HealthRecordForm(request.POST, instance=record, prefix="sante")
        if form.is_valid():
            try:
                services.save_health_record(
                    child=child,
                    values=form.cleaned_data,
                    acting_user=request.user,
                    request=request,
                    read=form.read_values(),
                )
            except (DomainError, ValidationError) as error:
                apply_errors(form, error)
            else:
                messages.success(
                    request,
                    _("Les informations de santé %(of_name)s sont enregistrées.") % {"of_name": of(child.first_name)},
                )
                return _to_family(request)
    vaccinations = selectors.vaccinations_of(child)
    return _render(
        request,
        "portail/family/health.html",
        {"form": form, "vaccination_form": vaccination_form, "child": child, "vaccinations": vaccinations},
        form if form.errors else vaccination_form,
    )


@family_view
def vaccination_delete(request, vaccination_id: int):
    vaccination = selectors.get_vaccination_for_family(request.user.family, vaccination_id)
    if request.method != "POST" or not request.consents.health:
        return _to_family(request)
    services.delete_vaccination(vaccination=vaccination, acting_user=request.user, request=request)
    messages.success(request, _("La vaccination est retirée."))
    return redirect("portail:child_health", org_slug=request.organisation.slug, person_id=vaccination.child_id)


@family_view
def authorised_add(request, person_id: int):
    child = selectors.get_child_for_family(request.user.family, person_id)
    return _family_form_page(
        request,
        AuthorisedPersonForm(request.POST or None),
        save=lambda form: services.save_authorised_person(
            child=child, values=form.cleaned_data, acting_user=request.user, request=request
        ),
        context={"title": _("Ajouter une personne autorisée pour %(name)s") % {"name": child.first_name}},
    )


@family_view
def authorised_edit(request, authorisedperson_id: int):
    authorised = selectors.get_authorised_person_for_family(request.user.family, authorisedperson_id)
    form = AuthorisedPersonForm(request.POST or None, instance=authorised)

    def save(form):
        fresh = selectors.get_authorised_person_for_family(request.user.family, authorisedperson_id)
        return services.save_authorised_person(
            child=fresh.child, authorised=fresh, values=form.cleaned_data, acting_user=request.user, request=request
        )

    return _family_form_page(
        request,
        form,
        save=save,
        context={
            "title": _("%(person)s – personne autorisée pour %(name)s")
            % {"person": authorised, "name": authorised.child.first_name},
            "authorised": authorised,
        },
    )


@family_view
def authorised_remove(request, authorisedperson_id: int):
    authorised = selectors.get_authorised_person_for_family(request.user.family, authorisedperson_id)
    if request.method != "POST":
        return _to_family(request)
    outcome = services.remove_authorised_person(authorised=authorised, acting_user=request.user, request=request)
    if outcome.pending:
        messages.warning(
            request,
            _("Certaines données sont en attente de modération : le retrait %(of_name)s attend le service.")
            % {"of_name": of(outcome.pending[0])},
        )
    else:
        messages.success(request, _("%(name)s n'est plus autorisé(e).") % {"name": outcome.applied[0]})
    return _to_family(request)


@family_view
def family_data_export(request):
    """GDPR right of access/portability: everything the organisation holds on the family."""
    viewer = household_of(request.user)
    if viewer is None:
        data = family_export(request.user.family, include_health=request.consents.health)
    else:
        # A separated parent: her or his household, never the other's contacts, logins or actions.
        hidden_people, hidden_users, own = custody_selectors.export_scope(request.user.family, viewer)
        data = family_export(
            request.user.family,
            include_health=request.consents.health,
            hide_people=hidden_people,
            hide_users=hidden_users,
            hide_family_contacts=True,
        )
        data["foyer"] = own
    from ribambelle.accounts.services import log_family_action

    log_family_action(family=request.user.family, request=request, action="data_export")
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2, default=str), content_type="application/json; charset=utf-8"
    )
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="mes-donnees-{stamp}.json"'
    return response
