"""The 404 walk: every URL that takes an object ID answers 404 for IDs outside the
caller's reach — another organisation's objects for staff, another family's for a family.

URL parameters are named `<model_name>_id` (e.g. `structure_id`, `membership_id`);
the walk finds the model from that name, builds one object per organisation (and per
family where the model belongs to a family) with the factories, and requests each URL.
A new URL or model is covered without touching this file; a parameter that names no
model fails the test, so the convention cannot be skipped.

The back-office walk runs as each staff role (403 first where the role may not open the
page), and as a director and an animateur limited to one structure against the objects of
another structure of the same organisation (tenancy.access.families_in_reach). Ids posted
in bodies are walked in test_posted_ids.py.
"""

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

from ribambelle.accounts.consent import record_consents
from ribambelle.activities.models import Activity
from ribambelle.billing.models import InvoiceRun
from ribambelle.communication.models import Banner, MailingScope, MassMailing, NewsItem
from ribambelle.documents.models import DocumentType
from ribambelle.families.models import Family, Person, PersonRole
from ribambelle.tenancy.models import Structure
from ribambelle.tenancy.roles import Role, has_permission

from .conftest import client_for
from .factories import (
    FACTORIES,
    MassMailingStructureFactory,
    MembershipFactory,
    MembershipStructureFactory,
    NewsItemStructureFactory,
    RegistrationFactory,
    StructureFactory,
)

INTERFACES = {"backoffice": "admin", "portail": "family_user"}


def _walk(patterns, prefix="", namespace=None):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + str(entry.pattern), entry.namespace or namespace)
        elif isinstance(entry, URLPattern):
            yield namespace, prefix + str(entry.pattern), entry


def _object_patterns():
    found = []
    for namespace, route, entry in _walk(get_resolver().url_patterns):
        params = [p for p in entry.pattern.converters if p != "org_slug"]
        if namespace in INTERFACES and params:
            found.append((namespace, route, entry, params))
    return found


def _model_for(param: str):
    if not param.endswith("_id"):
        return None  # not an object: a token, a size, a kind…
    name = param.removesuffix("_id")
    for model in apps.get_models():
        if model.__module__.startswith("ribambelle.") and model._meta.model_name == name.replace("_", ""):
            return model
    return None


def _make(model, tenant, *, other_family: bool):
    factory = FACTORIES.get(model)
    assert factory is not None, f"Ajoutez une factory pour {model.__name__} dans tests/factories.py"
    user = tenant.other_family_user if other_family else tenant.family_user
    if model is Family:
        # The family in a URL is the one the other objects of that URL belong to.
        return user.family
    kwargs = {"organisation": tenant.organisation}
    if any(f.name == "family" for f in model._meta.get_fields()):
        kwargs["family"] = user.family
    return factory(**kwargs)


def _url(route: str, entry, slug: str, objects: dict) -> str:
    path = route.replace("<slug:org_slug>", slug)
    for name in entry.pattern.converters:
        value = objects[name].pk
        # Django's route syntax: <int:name> / <slug:name> / <str:name>
        for kind in ("int", "slug", "str", "path"):
            path = path.replace(f"<{kind}:{name}>", str(value))
    return "/" + path


OBJECT_PATTERNS = _object_patterns()


def test_walk_finds_object_urls():
    assert any(ns == "backoffice" for ns, *_ in OBJECT_PATTERNS)


@pytest.mark.parametrize(
    ("namespace", "route", "entry", "params"), OBJECT_PATTERNS, ids=[p[1] for p in OBJECT_PATTERNS]
)
def test_object_urls_answer_404_outside_reach(namespace, route, entry, params, tenant_a, tenant_b):
    non_object = [p for p in params if p.endswith("_id") and _model_for(p) is None]
    assert not non_object, f"Paramètres d'URL sans modèle : {non_object} (nommez-les <modèle>_id)"
    model_params = {p: _model_for(p) for p in params if _model_for(p) is not None}
    if not model_params:
        pytest.skip("no object parameter")
    caller = getattr(tenant_a, INTERFACES[namespace])
    if caller.is_family:
        record_consents(user=caller, personal=True, health=True)
    client = client_for(caller)

    own = {p: _make(m, tenant_a, other_family=False) for p, m in model_params.items()}
    own_url = _url(route, entry, tenant_a.organisation.slug, own)
    # Positive control: the caller reaches its own object, so a 404 below means "refused".
    assert client.get(own_url).status_code != 404, own_url

    foreign = {p: _make(m, tenant_b, other_family=False) for p, m in model_params.items()}
    foreign_url = _url(route, entry, tenant_a.organisation.slug, foreign)
    # 405 (a POST-only action asked with GET) reveals nothing either; the POST must be a 404.
    assert client.get(foreign_url).status_code in (404, 405), foreign_url
    assert client.post(foreign_url, {}).status_code == 404, foreign_url

    family_owned = any(any(f.name == "family" for f in m._meta.get_fields()) for m in model_params.values())
    if namespace == "portail" and family_owned:
        # Organisation-wide objects (a document type, a published file) are the same for
        # every family; only family-owned ones must be out of a neighbour's reach.
        neighbour = {p: _make(m, tenant_a, other_family=True) for p, m in model_params.items()}
        neighbour_url = _url(route, entry, tenant_a.organisation.slug, neighbour)
        assert client.get(neighbour_url).status_code in (404, 405), neighbour_url
        assert client.post(neighbour_url, {}).status_code == 404, neighbour_url


@pytest.mark.parametrize(
    ("namespace", "route", "entry", "params"), OBJECT_PATTERNS, ids=[p[1] for p in OBJECT_PATTERNS]
)
def test_object_urls_of_another_organisation_are_not_reachable_through_its_slug(
    namespace, route, entry, params, tenant_a, tenant_b
):
    """Org A's login on org B's URLs is anonymous there: never org B's data."""
    model_params = {p: _model_for(p) for p in params if _model_for(p) is not None}
    if not model_params:
        pytest.skip("no object parameter")
    client = client_for(getattr(tenant_a, INTERFACES[namespace]))
    foreign = {p: _make(m, tenant_b, other_family=False) for p, m in model_params.items()}
    response = client.get(_url(route, entry, tenant_b.organisation.slug, foreign))
    assert response.status_code in (302, 404, 405)
    if response.status_code == 302:
        assert "/connexion/" in response["Location"]


# --- Each staff role, and structure limits ----------------------------------------------
STAFF_ROLES = [Role.ADMINISTRATOR, Role.DIRECTOR, Role.AGENT, Role.FINANCE]
STAFF_PATTERNS = [p for p in OBJECT_PATTERNS if p[0] == "backoffice"]
# The same for every structure, so a structure limit does not apply: a document type (the
# blank form is the organisation's); everything else tenant-owned belongs to a structure or a family.
ORGANISATION_WIDE = {DocumentType}
# Shown to every family of the organisation: a member limited to some structures manages none.
UNLIMITED_STAFF_ONLY = {Banner}


def _staff_member(tenant, role, structures=()):
    membership = MembershipFactory(organisation=tenant.organisation, role=role)
    for structure in structures:
        MembershipStructureFactory(organisation=tenant.organisation, membership=membership, structure=structure)
    return membership


def _refusal(membership, entry) -> int:
    """404 for an object out of reach; 403 first where the role may not open the page at all."""
    perm = getattr(entry.callback, "staff_permission", None)
    return 403 if perm and not has_permission(membership, perm) else 404


def _check(client, url, expected):
    assert client.get(url).status_code in (expected, 405), url
    assert client.post(url, {}).status_code == expected, url


@pytest.mark.parametrize(("namespace", "route", "entry", "params"), STAFF_PATTERNS, ids=[p[1] for p in STAFF_PATTERNS])
def test_object_urls_of_another_organisation_answer_404_for_every_role(
    namespace, route, entry, params, tenant_a, tenant_b
):
    model_params = {p: _model_for(p) for p in params if _model_for(p) is not None}
    if not model_params:
        pytest.skip("no object parameter")
    own = {p: _make(m, tenant_a, other_family=False) for p, m in model_params.items()}
    foreign = {p: _make(m, tenant_b, other_family=False) for p, m in model_params.items()}
    for role in STAFF_ROLES:
        membership = _staff_member(tenant_a, role)
        client = client_for(membership.user)
        expected = _refusal(membership, entry)
        own_status = client.get(_url(route, entry, tenant_a.organisation.slug, own)).status_code
        # 405: a POST-only action asked with GET, refused before the role is looked at.
        assert own_status != 404 if expected == 404 else own_status in (403, 405), (role, route, own_status)
        _check(client, _url(route, entry, tenant_a.organisation.slug, foreign), expected)


def _attach(obj, structure):
    """Put a walk object in `structure`: through its activity, thread, tariff… or its own links."""
    organisation = structure.organisation
    if isinstance(obj, Activity):
        obj.structure, obj.sector = structure, structure.sector
        obj.save(update_fields=["structure", "sector"])
        return
    if isinstance(obj, InvoiceRun):
        obj.structure_ids = [structure.pk]
        obj.save(update_fields=["structure_ids"])
        return
    if isinstance(obj, NewsItem):
        NewsItemStructureFactory(organisation=organisation, newsitem=obj, structure=structure)
        return
    if isinstance(obj, MassMailing):
        obj.scope = MailingScope.STRUCTURES
        obj.save(update_fields=["scope"])
        MassMailingStructureFactory(organisation=organisation, massmailing=obj, structure=structure)
        return
    fields = {f.name for f in obj._meta.get_fields() if f.many_to_one}
    child = obj if isinstance(obj, Person) else getattr(obj, "child", None) if "activity" not in fields else None
    if child is not None and child.role == PersonRole.CHILD:
        # A child's own pages (health, authorised persons) need the child registered there.
        RegistrationFactory(
            organisation=organisation, family=child.family, child=child, group__activity__structure=structure
        )
    if "structure" in fields:
        obj.structure = structure
        obj.save(update_fields=["structure"])
        return
    for name in ("activity", "from_unit", "tariff", "thread", "group", "contract"):
        if name in fields:
            _attach(getattr(obj, name), structure)
            return


def _structure_objects(model_params, tenant, family_user, structure):
    objects = {}
    for param, model in model_params.items():
        if model is Structure:
            objects[param] = structure
            continue
        obj = _make(model, tenant, other_family=family_user is tenant.other_family_user)
        _attach(obj, structure)
        objects[param] = obj
    return objects


@pytest.mark.parametrize(("namespace", "route", "entry", "params"), STAFF_PATTERNS, ids=[p[1] for p in STAFF_PATTERNS])
def test_object_urls_of_another_structure_answer_404_for_limited_staff(namespace, route, entry, params, tenant_a):
    """A director or an animateur limited to one centre: another centre's families, health
    records, documents, messages, bookings… answer 404, as another organisation's do."""
    model_params = {p: _model_for(p) for p in params if _model_for(p) is not None}
    if not model_params or set(model_params.values()) <= ORGANISATION_WIDE:
        pytest.skip("no object of a structure")
    org = tenant_a.organisation
    mine, other = StructureFactory(organisation=org), StructureFactory(organisation=org)
    # Each family is within one structure: a child registered to one of its activities.
    RegistrationFactory(organisation=org, family=tenant_a.family_user.family, group__activity__structure=mine)
    RegistrationFactory(organisation=org, family=tenant_a.other_family_user.family, group__activity__structure=other)
    own = _structure_objects(model_params, tenant_a, tenant_a.family_user, mine)
    foreign = _structure_objects(model_params, tenant_a, tenant_a.other_family_user, other)
    for role in (Role.DIRECTOR, Role.AGENT):
        membership = _staff_member(tenant_a, role, structures=[mine])
        client = client_for(membership.user)
        expected = _refusal(membership, entry)
        own_status = client.get(_url(route, entry, org.slug, own)).status_code
        if expected == 403:
            assert own_status in (403, 405), (role, route)
        elif set(model_params.values()) & UNLIMITED_STAFF_ONLY:
            assert own_status == 404, (role, route)
        else:
            assert own_status != 404, (role, route)  # positive control: a 404 below means "refused"
        _check(client, _url(route, entry, org.slug, foreign), expected)
