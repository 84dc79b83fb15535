"""Who may open a page: staff of the URL's organisation (with a permission), or a family."""

from functools import wraps

from django.apps import apps
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.http import urlencode
from django.utils.translation import gettext as _

from .roles import Area, has_permission, sees_across_structures


def _login_redirect(request, name: str):
    url = reverse(name, kwargs={"org_slug": request.organisation.slug})
    return redirect(f"{url}?{urlencode({'next': request.get_full_path()})}")


def staff_required(perm: str | None = None, *, allow_without_2fa: bool = False):
    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request, "backoffice:login")
            if request.membership is None:
                raise PermissionDenied(_("Cet espace est réservé au personnel de l'organisation."))
            needs_2fa = request.organisation.staff_requires_2fa and not request.user.is_verified()
            if needs_2fa and not allow_without_2fa:
                return redirect("backoffice:security", org_slug=request.organisation.slug)
            if perm and not has_permission(request.membership, perm):
                raise PermissionDenied(_("Votre rôle ne permet pas d'ouvrir cette page."))
            return view(request, *args, **kwargs)

        wrapped.staff_permission = perm
        return wrapped

    return decorator


def family_required(view=None, *, needs_consent: bool = True):
    """A logged-in family of this organisation, who has accepted the current GDPR text
    (otherwise they are sent to the consent page first, seed step 5)."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _login_redirect(request, "portail:login")
            if not request.user.is_family:
                raise PermissionDenied(_("Cet espace est réservé aux familles."))
            if needs_consent:
                from ribambelle.accounts.consent import consent_state

                request.consents = consent_state(request.user)
                if not request.consents.personal:
                    return _login_redirect(request, "portail:consent")
            return view(request, *args, **kwargs)

        wrapped.family_only = True
        return wrapped

    return decorator(view) if view is not None else decorator


def reads_no_login(view):
    """A page answered from a signed ticket alone (tenancy.middleware): it reads neither the
    session nor the login, and gets the URL's organisation as `request.organisation_slug` — its
    own query must check it. Its answer is personal: never kept by a browser or a proxy."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response

    wrapped.reads_no_login = True
    return wrapped


# --- Structure limits ------------------------------------------------------------------
def structure_limit(membership, area: str = Area.FAMILIES) -> list[int] | None:
    """The structures that bound what `membership` sees in `area`; None when nothing does
    (no structure list, or a role that sees across structures there: roles.ACROSS_STRUCTURES)."""
    if sees_across_structures(membership, area) or membership.pk is None:
        return None  # an unsaved membership (a bench, a script) has no structure list to read
    # membership_for_user prefetches the list: no query per call.
    return [structure.pk for structure in membership.structures.all()] or None


def families_in_reach(membership, area: str = Area.FAMILIES):
    """The one definition of "a family within my structures", as a subquery of family ids
    (None: every family of the organisation).

    A family is within a structure when one of its children has a registration to an
    activity of the structure — whatever its status: the director decides on requests and
    keeps the refused and cancelled ones in view, as `registrations_for_staff` does — when
    the structure follows it (`StructureFamily`, families known before they register), or
    when it has a message thread with the structure. A family with none of these (just
    created, imported, never registered) belongs to no structure yet: only staff without a
    limit (administrators, the organisation's family desk) see it.
    """
    structure_ids = structure_limit(membership, area)
    if structure_ids is None:
        return None
    Family = apps.get_model("families", "Family")
    families = Family.objects.filter(_within(structure_ids), organisation_id=membership.organisation_id)
    return families.values("pk")


def children_in_reach(membership):
    """Health and care details are narrower than the family file: a child is within my
    structures when registered (any status) to one of my structures' activities, or when
    the whole family is (followed by, or writing to, one of them). A brother registered
    only elsewhere stays out of reach, even when his sister comes to my centre."""
    structure_ids = structure_limit(membership)
    if structure_ids is None:
        return None
    Person = apps.get_model("families", "Person")
    Registration = apps.get_model("registrations", "Registration")
    Family = apps.get_model("families", "Family")
    registered = Registration.objects.filter(child=OuterRef("pk"), activity__structure_id__in=structure_ids)
    whole_family = Family.objects.filter(_within(structure_ids, registrations=False)).values("pk")
    return Person.objects.filter(
        Q(Exists(registered)) | Q(family__in=whole_family), organisation_id=membership.organisation_id
    ).values("pk")


def child_in_reach(membership, field: str = "child") -> Q:
    """A filter keeping the rows whose `field` (a child) is within the member's reach."""
    children = children_in_reach(membership)
    return Q() if children is None else Q(**{f"{field}__in": children})


def _within(structure_ids=None, *, registrations: bool = True) -> Q:
    """On Family: within one of these structures (any structure when None), one EXISTS per link."""
    # Resolved by name: tenancy sits below the apps whose tables say where a family belongs.
    links = [
        (apps.get_model("communication", "StructureFamily"), "structure_id"),
        (apps.get_model("communication", "MessageThread"), "structure_id"),
    ]
    if registrations:
        links.append((apps.get_model("registrations", "Registration"), "activity__structure_id"))
    condition = Q()
    for model, structure in links:
        rows = model.objects.filter(family=OuterRef("pk"))
        if structure_ids is not None:
            rows = rows.filter(**{f"{structure}__in": structure_ids})
        condition |= Exists(rows)
    return condition


def families_to_follow(membership):
    """The families a member may attach to a structure ("familles de la structure"): those
    already in reach, and those no structure has yet — never another structure's family,
    which attaching would bring into reach."""
    Family = apps.get_model("families", "Family")
    families = Family.objects.filter(organisation_id=membership.organisation_id)
    reach = families_in_reach(membership)
    return families if reach is None else families.filter(Q(pk__in=reach) | ~_within())


def in_reach(membership, field: str = "family", area: str = Area.FAMILIES) -> Q:
    """A filter keeping the rows whose `field` (a family) is within the member's reach:
    `Invoice.objects.filter(in_reach(membership, area=Area.BILLING))`."""
    families = families_in_reach(membership, area)
    return Q() if families is None else Q(**{f"{field}__in": families})
