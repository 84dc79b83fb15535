"""Staff side of separated parents: the family's two households and its custody calendar."""

from django.shortcuts import redirect
from django.utils.translation import gettext_lazy

from ribambelle.core.formpage import EditPage, form_page
from ribambelle.custody import selectors, services
from ribambelle.custody.forms import ArrangementForm, HouseholdForm
from ribambelle.families.selectors import get_family_for_staff
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm


def _to_custody(request, family):
    return redirect("backoffice:family_custody", org_slug=request.organisation.slug, family_id=family.pk)


@staff_required(Perm.MANAGE_FAMILIES)
def family_custody(request, family_id: int):
    """The households and the arrangements (history, latest first), and a new arrangement from a date."""
    family = get_family_for_staff(request.membership, family_id)
    form = ArrangementForm(request.POST or None, family=family)
    return form_page(
        request,
        form,
        save=lambda form: services.set_arrangement(family=family, acting_user=request.user, **form.cleaned_data),
        success=gettext_lazy("Le mode de garde est enregistré."),
        redirect_to=_to_custody(request, family),
        template="backoffice/custody/family.html",
        context={
            "family": family,
            "households": selectors.households_of_family(family),
            "arrangements": selectors.arrangements_of_family(family),
            "nav": "families",
        },
    )


def _household_form(request, household, family):
    return HouseholdForm(request.POST or None, instance=household, family=family)


def _save_household(request, form, household, family):
    fields = {name: form.cleaned_data[name] for name in form.Meta.fields}
    return services.save_household(
        family=family,
        household=household,
        fields=fields,
        adults=form.cleaned_data["adults"],
        logins=form.cleaned_data["logins"],
        acting_user=request.user,
    )


household_new, household_edit = EditPage(
    form=_household_form,
    save=_save_household,
    success=gettext_lazy("Le foyer « %(name)s » est enregistré."),
    back=("backoffice:family_list", gettext_lazy("Familles")),
    new_title=gettext_lazy("Nouveau foyer"),
    redirect_to=lambda request, saved, family: _to_custody(request, family),
    template="backoffice/custody/household_form.html",
    name="household",
    nav="families",
).views(
    staff_required(Perm.MANAGE_FAMILIES),
    get=lambda request, household_id: selectors.get_household_for_staff(request.membership, household_id),
    parent=lambda request, family_id: {"family": get_family_for_staff(request.membership, family_id)},
    parent_of=lambda household: {"family": household.family},
)
