"""Staff side of the family file: list and search, the file, moderation queue, import,
settings, GDPR erasure. Thin views over ribambelle.families."""

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from ribambelle.accounts.family_accounts import invite_adults
from ribambelle.accounts.selectors import accounts_of_family
from ribambelle.communication.mailing import link_family_to_structure
from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import apply_errors, form_page
from ribambelle.core.pagination import paginate
from ribambelle.core.params import parse_ids
from ribambelle.core.wording import of
from ribambelle.families import importing, selectors, services
from ribambelle.families.forms import (
    AdultForm,
    AuthorisedPersonForm,
    ChildForm,
    EraseForm,
    FamilyCreateForm,
    FamilySettingsForm,
    FamilyStaffForm,
    HealthRecordForm,
    ImportUploadForm,
    RefuseForm,
    VaccinationForm,
)
from ribambelle.families.gdpr import anonymised_name
from ribambelle.families.models import Person, PersonRole
from ribambelle.tenancy.access import staff_required, structure_limit
from ribambelle.tenancy.roles import Perm, has_permission
from ribambelle.tenancy.selectors import structures_for_staff

ACCOUNT_FILTERS = [
    ("", gettext_lazy("Tous")),
    ("active", gettext_lazy("Compte activé")),
    ("inactive", gettext_lazy("Sans compte activé")),
]
IMPORT_SESSION_KEY = "family_import"


def _to_file(request, family_id: int):
    return redirect("backoffice:family_detail", org_slug=request.organisation.slug, family_id=family_id)


def _status(form) -> int:
    return 400 if form is not None and form.errors else 200


def _render_form(request, *, form, title, family, extra=None):
    context = {"form": form, "title": title, "family": family, "nav": "families", **(extra or {})}
    return render(request, "backoffice/families/form.html", context, status=_status(form))


def _family_form_page(request, form, *, save, success, family_id, title, family, extra=None, refresh=None):
    """The family file's form pages: one service call, then back to the file."""
    return form_page(
        request,
        form,
        save=save,
        success=success,
        redirect_to=lambda _saved: _to_file(request, family_id),
        template="backoffice/families/form.html",
        context={"title": title, "family": family, "nav": "families", **(extra or {})},
        refresh=refresh,
    )


# --- List, file, history ------------------------------------------------------------------------
@staff_required(Perm.VIEW_FAMILIES)
def family_list(request):
    search = request.GET.get("q", "").strip()[:100]
    account = request.GET.get("compte", "")
    pending = request.GET.get("en_attente", "")
    page = paginate(request, selectors.family_list_for_staff(request.membership, request.GET).qs)
    for family in page:
        family.adults = [p for p in family.people if p.role == PersonRole.ADULT]
        family.children = [p for p in family.people if p.role == PersonRole.CHILD]
    return render(
        request,
        "backoffice/families/list.html",
        {
            "page": page,
            "q": search,
            "account": account,
            "pending": pending,
            "sort": request.GET.get("tri", ""),
            "account_filters": ACCOUNT_FILTERS,
            "nav": "families",
        },
    )


@staff_required(Perm.VIEW_FAMILIES)
def family_detail(request, family_id: int):
    family = selectors.family_file_for_staff(request.membership, family_id)
    accounts = accounts_of_family(family)
    return render(
        request,
        "backoffice/families/detail.html",
        {
            "family": family,
            "accounts": accounts,
            "changes": selectors.change_history(family)[:10],
            "refuse_form": RefuseForm(),
            "can_manage": has_permission(request.membership, Perm.MANAGE_FAMILIES),
            "can_health": has_permission(request.membership, Perm.VIEW_HEALTH),
            "nav": "families",
        },
    )


@staff_required(Perm.VIEW_FAMILIES)
def family_changes(request, family_id: int):
    family = selectors.get_family_for_staff(request.membership, family_id)
    page = paginate(request, selectors.change_history(family))
    return render(request, "backoffice/families/changes.html", {"family": family, "page": page, "nav": "families"})


# --- Family edits -------------------------------------------------------------------------------
def _follow(request, families) -> None:
    """A member limited to some structures has their structures follow the families they
    create or import: a family in no structure is out of their reach (tenancy.access)."""
    if structure_limit(request.membership) is None:
        return
    for structure in structures_for_staff(request.membership):
        for family in families:
            link_family_to_structure(structure=structure, family=family, acting_user=request.user)


@staff_required(Perm.MANAGE_FAMILIES)
def family_create(request):
    form = FamilyCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        values = {name: form.cleaned_data[name] for name in FamilyCreateForm.Meta.fields}
        adult = form.adult_values()
        duplicates = (
            []
            if request.POST.get("confirm_duplicate")
            else selectors.similar_families(
                request.organisation, name=values["name"], email=adult["email"], birth_date=adult["birth_date"]
            )
        )
        if duplicates:
            # Staff may be about to type in a file that exists: offer it, and creating anyway.
            return _render_form(
                request, form=form, title=_("Nouvelle famille"), family=None, extra={"duplicates": duplicates}
            )
        try:
            family = services.create_family(
                organisation=request.organisation, values=values, adult=adult, acting_user=request.user
            )
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
        else:
            _follow(request, [family])
            messages.success(request, _("Le dossier de la famille %(name)s est créé.") % {"name": family.name})
            return _to_file(request, family.pk)
    return _render_form(request, form=form, title=_("Nouvelle famille"), family=None)


@staff_required(Perm.MANAGE_FAMILIES)
def family_edit(request, family_id: int):
    family = selectors.get_family_for_staff(request.membership, family_id)
    form = FamilyStaffForm(request.POST or None, instance=family)

    return _family_form_page(
        request,
        form,
        save=lambda form: services.update_family(
            family=family, values=form.cleaned_data, acting_user=request.user, read=form.read_values()
        ),
        refresh=family,
        success=lambda outcome: _("Le dossier est enregistré.") if outcome.changed else _("Aucune modification."),
        family_id=family.pk,
        title=_("Famille %(name)s – coordonnées") % {"name": family.name},
        family=family,
    )


@staff_required(Perm.MANAGE_FAMILIES)
def member_add(request, family_id: int):
    family = selectors.get_family_for_staff(request.membership, family_id)
    role = PersonRole.ADULT if request.GET.get("role") == "adult" else PersonRole.CHILD
    form_class = ChildForm if role == PersonRole.CHILD else AdultForm
    instance = Person(organisation=request.organisation, family=family, role=role)
    form = form_class(
        request.POST or None, instance=instance, initial={"last_name": family.name}, organisation=request.organisation
    )
    if role == PersonRole.CHILD:
        title = _("Ajouter un enfant – famille %(name)s") % {"name": family.name}
    else:
        title = _("Ajouter un responsable légal – famille %(name)s") % {"name": family.name}

    def save(form):
        values = form.values() if role == PersonRole.CHILD else dict(form.cleaned_data)
        services.add_person(family=family, role=role, values=values, acting_user=request.user)
        return values

    return _family_form_page(
        request,
        form,
        save=save,
        success=lambda values: (
            _("%(first_name)s %(last_name)s est ajouté(e) au dossier.")
            % {"first_name": values["first_name"], "last_name": values["last_name"]}
        ),
        family_id=family.pk,
        title=title,
        family=family,
    )


@staff_required(Perm.MANAGE_FAMILIES)
def member_edit(request, person_id: int):
    person = selectors.get_person_for_staff(request.membership, person_id)
    family = person.family
    if request.method == "POST" and "remove" in request.POST:
        services.remove_person(person=person, acting_user=request.user)
        messages.success(request, _("%(person)s est retiré(e) du dossier.") % {"person": person})
        return _to_file(request, family.pk)
    form_class = ChildForm if person.is_child else AdultForm
    form = form_class(request.POST or None, instance=person, organisation=request.organisation)

    def save(form):
        values = form.values() if person.is_child else dict(form.cleaned_data)
        fresh = selectors.get_person_for_staff(request.membership, person_id)
        services.update_person(person=fresh, values=values, acting_user=request.user, read=form.read_values())
        return fresh

    return _family_form_page(
        request,
        form,
        save=save,
        success=lambda saved: _("La fiche %(of_name)s est enregistrée.") % {"of_name": of(saved.first_name)},
        family_id=family.pk,
        title=f"{person.first_name} {person.last_name}",
        family=family,
        extra={"person": person},
    )


@staff_required(Perm.MANAGE_FAMILIES)
def authorised_add(request, person_id: int):
    child = selectors.get_child_for_staff(request.membership, person_id)
    return _family_form_page(
        request,
        AuthorisedPersonForm(request.POST or None),
        save=lambda form: services.save_authorised_person(
            child=child, values=form.cleaned_data, acting_user=request.user
        ),
        success=_("La personne autorisée est enregistrée."),
        family_id=child.family_id,
        title=_("Personne autorisée pour %(name)s") % {"name": child.first_name},
        family=child.family,
    )


@staff_required(Perm.MANAGE_FAMILIES)
def authorised_edit(request, authorisedperson_id: int):
    authorised = selectors.get_authorised_person_for_staff(request.membership, authorisedperson_id)
    if request.method == "POST" and "remove" in request.POST:
        services.remove_authorised_person(authorised=authorised, acting_user=request.user)
        messages.success(request, _("%(person)s n'est plus autorisé(e).") % {"person": authorised})
        return _to_file(request, authorised.family_id)
    form = AuthorisedPersonForm(request.POST or None, instance=authorised)

    def save(form):
        fresh = selectors.get_authorised_person_for_staff(request.membership, authorisedperson_id)
        return services.save_authorised_person(
            child=fresh.child, authorised=fresh, values=form.cleaned_data, acting_user=request.user
        )

    return _family_form_page(
        request,
        form,
        save=save,
        success=_("La personne autorisée est enregistrée."),
        family_id=authorised.family_id,
        title=_("%(person)s – personne autorisée pour %(child)s")
        % {"person": authorised, "child": authorised.child.first_name},
        family=authorised.family,
        extra={"authorised": authorised},
    )


# --- Health ---------------------------------------------------------------------------------------
@staff_required(Perm.VIEW_HEALTH)
def child_health(request, person_id: int):
    """Each opening is logged (who, when, which child) before anything is shown."""
    from ribambelle.accounts.consent import family_has_health_consent

    child = selectors.get_child_for_staff(request.membership, person_id)
    can_edit = has_permission(request.membership, Perm.MANAGE_FAMILIES)
    consent = family_has_health_consent(child.family)
    record = selectors.health_record_of(child)
    form = HealthRecordForm(None, instance=record, prefix="sante")
    vaccination_form = VaccinationForm(None, prefix="vaccin")
    if request.method == "POST" and can_edit:
        try:
            if "add_vaccination" in request.POST:
                vaccination_form = VaccinationForm(request.POST, prefix="vaccin")
                if vaccination_form.is_valid():
                    services.add_vaccination(
                        child=child,
                        vaccine=vaccination_form.cleaned_data["vaccine"],
                        when=vaccination_form.cleaned_data["date"],
                        acting_user=request.user,
                    )
                    messages.success(request, _("La vaccination est enregistrée."))
                    return redirect("backoffice:child_health", org_slug=request.organisation.slug, person_id=child.pk)
            else:
                form = HealthRecordForm(request.POST, instance=record, prefix="sante")
                if form.is_valid():
                    services.save_health_record(
                        child=child, values=form.cleaned_data, acting_user=request.user, read=form.read_values()
                    )
                    messages.success(
                        request,
                        _("Les informations de santé %(of_name)s sont enregistrées.")
                        % {"of_name": of(child.first_name)},
                    )
                    return _to_file(request, child.family_id)
        except (DomainError, ValidationError) as error:
            apply_errors(form, error)
    services.record_health_access(child=child, acting_user=request.user)
    return render(
        request,
        "backoffice/families/health.html",
        {
            "child": child,
            "family": child.family,
            "record": record,
            "form": form,
            "vaccination_form": vaccination_form,
            "vaccinations": selectors.vaccinations_of(child),
            "can_edit": can_edit,
            "consent": consent,
            "nav": "families",
        },
        status=400 if form.errors or vaccination_form.errors else 200,
    )


@staff_required(Perm.MANAGE_FAMILIES)
def vaccination_delete(request, vaccination_id: int):
    # Looked up before the method check: another organisation's ID answers 404, not 405.
    vaccination = selectors.get_vaccination_for_staff(request.membership, vaccination_id)
    if request.method != "POST":
        return redirect("backoffice:child_health", org_slug=request.organisation.slug, person_id=vaccination.child_id)
    services.delete_vaccination(vaccination=vaccination, acting_user=request.user)
    messages.success(request, _("La vaccination est retirée."))
    return redirect("backoffice:child_health", org_slug=request.organisation.slug, person_id=vaccination.child_id)


# --- Moderation -------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_FAMILIES)
def moderation_queue(request):
    filterset = selectors.pending_change_list_for_staff(request.membership, request.GET)
    page = paginate(request, filterset.qs)
    return render(
        request,
        "backoffice/families/moderation.html",
        {"page": page, "filterset": filterset, "refuse_form": RefuseForm(), "nav": "moderation"},
    )


@staff_required(Perm.MANAGE_FAMILIES)
def moderation_decide(request, changerequest_id: int):
    change = selectors.get_change_request_for_staff(request.membership, changerequest_id)
    error = None
    if request.method == "POST":
        decision = request.POST.get("decision")
        form = RefuseForm(request.POST)
        try:
            if decision == "accept":
                services.accept_change(change_request=change, acting_user=request.user)
                messages.success(
                    request,
                    _("Modification acceptée : %(subject)s. La famille est prévenue.") % {"subject": change.subject},
                )
                return _back_to_queue(request, change)
            if decision == "refuse" and form.is_valid():
                services.refuse_change(
                    change_request=change, reason=form.cleaned_data["reason"], acting_user=request.user
                )
                messages.success(
                    request,
                    _("Modification refusée : %(subject)s. La famille est prévenue.") % {"subject": change.subject},
                )
                return _back_to_queue(request, change)
            if decision == "refuse":
                error = " ".join(form.errors.get("reason", [])) or _("Indiquez le motif du refus.")
            else:
                error = _("Choisissez « Accepter » ou « Refuser ».")
        except DomainError as refusal:
            error = refusal.message
        change.refresh_from_db()
    return render(
        request,
        "backoffice/families/change_detail.html",
        {"change": change, "error": error, "nav": "moderation"},
        status=400 if error else 200,
    )


def _back_to_queue(request, change):
    if request.POST.get("next") == "family":
        return _to_file(request, change.family_id)
    return redirect("backoffice:moderation_queue", org_slug=request.organisation.slug)


# --- GDPR erasure -------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_ORGANISATION)
def family_erase(request, family_id: int):
    family = selectors.get_family_for_staff(request.membership, family_id)
    form = EraseForm(request.POST or None, family=family)
    if request.method == "POST" and form.is_valid():
        name = family.name
        anonymised = services.erase_family(family=family, acting_user=request.user, reason=form.cleaned_data["reason"])
        if anonymised:
            message = _(
                "Le dossier de la famille %(name)s est effacé ; ses factures et règlements sont conservés, anonymisés."
            )
        else:
            message = _("Le dossier de la famille %(name)s et ses comptes sont effacés.")
        messages.success(request, message % {"name": name})
        return redirect("backoffice:family_list", org_slug=request.organisation.slug)
    context = {
        "family": family,
        "form": form,
        "nav": "families",
        "anonymise": services.has_accounting_records(family),
        "anonymised_name": anonymised_name(family.pk),
    }
    return render(request, "backoffice/families/erase.html", context, status=_status(form))


# --- Settings -------------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_ORGANISATION)
def family_settings(request):
    settings = services.family_settings(request.organisation)
    diets = selectors.active_diets(request.organisation)
    initial = {"moderated": settings.moderated, "diets": "\n".join(d.name for d in diets)}
    form = FamilySettingsForm(request.POST or None, initial=initial)

    def save(form):
        services.update_moderated_keys(
            organisation=request.organisation, keys=form.cleaned_data["moderated"], acting_user=request.user
        )
        services.set_diets(
            organisation=request.organisation, names=form.cleaned_data["diets"].splitlines(), acting_user=request.user
        )

    return form_page(
        request,
        form,
        save=save,
        success=_("Les réglages du dossier famille sont enregistrés."),
        redirect_to=redirect("backoffice:family_settings", org_slug=request.organisation.slug),
        template="backoffice/families/settings.html",
        context={"nav": "families"},
    )


# --- Import -----------------------------------------------------------------------------------------------
@staff_required(Perm.MANAGE_FAMILIES)
def family_import(request):
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        raw = form.cleaned_data["file"].read()
        encoding = form.cleaned_data["encoding"]
        preview = importing.parse(raw, organisation=request.organisation, encoding=encoding)
        if preview.ok:
            # The confirmed import re-reads these exact bytes: what was previewed is what is written.
            request.session[IMPORT_SESSION_KEY] = {"raw": raw.decode("latin-1"), "encoding": encoding}
        else:
            request.session.pop(IMPORT_SESSION_KEY, None)
    return render(
        request,
        "backoffice/families/import.html",
        {"form": form, "preview": preview, "nav": "families"},
        status=400 if form.errors or (preview is not None and not preview.ok) else 200,
    )


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def family_import_confirm(request):
    stored = request.session.get(IMPORT_SESSION_KEY)
    if not stored:
        messages.error(request, _("Aucun aperçu à importer : envoyez d'abord le fichier."))
        return redirect("backoffice:family_import", org_slug=request.organisation.slug)
    preview = importing.parse(
        stored["raw"].encode("latin-1"), organisation=request.organisation, encoding=stored["encoding"]
    )
    try:
        adult_ids = importing.import_families(
            organisation=request.organisation, preview=preview, acting_user=request.user
        )
    except DomainError as error:
        messages.error(request, error.message)
        return redirect("backoffice:family_import", org_slug=request.organisation.slug)
    request.session.pop(IMPORT_SESSION_KEY, None)
    adults = selectors.adults_by_ids(request.organisation, adult_ids)
    _follow(request, list({adult.family_id: adult.family for adult in adults}.values()))
    messages.success(
        request,
        _("Import terminé : %(families)s famille(s), %(adults)s responsable(s), %(children)s enfant(s).")
        % {
            "families": len(preview.families),
            "adults": preview.adults_count,
            "children": preview.children_count,
        },
    )
    return render(request, "backoffice/families/import_done.html", {"adults": adults, "nav": "families"})


@require_POST
@staff_required(Perm.MANAGE_FAMILIES)
def family_import_invite(request):
    ids = selectors.person_ids_for_staff(request.membership, parse_ids(request.POST.getlist("adults")))
    if not ids:
        messages.info(request, _("Aucune invitation envoyée."))
        return redirect("backoffice:family_list", org_slug=request.organisation.slug)
    report = invite_adults(organisation=request.organisation, person_ids=ids, acting_user=request.user)
    if report.sent:
        messages.success(request, _("%(count)s invitation(s) envoyée(s).") % {"count": len(report.sent)})
    if report.without_email:
        messages.warning(
            request, _("Sans adresse e-mail utilisable : %(names)s.") % {"names": ", ".join(report.without_email)}
        )
    return redirect("backoffice:family_list", org_slug=request.organisation.slug)
