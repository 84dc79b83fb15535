"""One pattern per kind of page: the form page helper, the one form template, the one paginator."""

from decimal import Decimal

import pytest
from django import forms
from django.test import RequestFactory

from ribambelle.core.exceptions import DomainError
from ribambelle.core.formpage import form_page
from ribambelle.core.forms import StyledForm

from .conftest import client_for
from .factories import FamilyFactory, InvoiceFactory, OutgoingEmailFactory


class NameForm(StyledForm):
    name = forms.CharField(label="Nom", help_text="Tel qu'il figure sur le livret.")
    kind = forms.ChoiceField(label="Genre", choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect)


def _post(data):
    request = RequestFactory().post("/", data)
    request._messages = _Messages()  # what messages.success adds to, without a session
    return request


class _Messages(list):
    def add(self, level, message, extra_tags=""):
        self.append(message)


def _page(request, save):
    return form_page(
        request,
        NameForm(request.POST or None),
        save=save,
        success=lambda saved: f"« {saved} » est enregistré.",
        redirect_to="done",
        template="includes/form.html",
    )


def test_a_valid_form_calls_the_service_once_then_says_so_and_redirects():
    calls = []
    request = _post({"name": "Lou", "kind": "a"})
    answer = _page(request, lambda form: calls.append(form.cleaned_data["name"]) or "Lou")
    assert answer == "done" and calls == ["Lou"]
    assert list(request._messages) == ["« Lou » est enregistré."]


def test_a_refusal_of_the_service_goes_next_to_its_field_with_a_400():
    def refuse(form):
        raise DomainError("Ce nom est déjà pris : choisissez-en un autre.", field="name")

    request = _post({"name": "Lou", "kind": "a"})
    response = _page(request, refuse)
    html = response.content.decode()
    assert response.status_code == 400 and not request._messages
    assert 'id="id_name_error"' in html and "Ce nom est déjà pris" in html
    assert 'aria-describedby="id_name_error id_name_helptext"' in html


def test_an_invalid_form_never_reaches_the_service():
    request = _post({"name": "", "kind": "a"})
    response = _page(request, lambda form: pytest.fail("the service ran on an invalid form"))
    assert response.status_code == 400


def test_every_form_renders_its_fields_through_the_one_field_template():
    html = str(NameForm())
    # includes/field.html: a labelled input with its help, and radio buttons in a fieldset with a legend.
    assert '<label class="form-label" for="id_name">Nom' in html
    assert 'id="id_name_helptext"' in html
    assert '<fieldset class="mb-3 rb-choices"' in html and '<legend class="form-label fs-6 mb-1">Genre' in html


@pytest.mark.django_db
def test_the_next_page_of_a_filtered_invoice_list_keeps_its_filter(tenant_a):
    """The billing lists had their own pager, whose links dropped the status and the search."""
    for _ in range(51):
        InvoiceFactory(organisation=tenant_a.organisation, family=tenant_a.family_user.family, status="due")
    response = client_for(tenant_a.admin).get(tenant_a.url("gestion/facturation/factures/?statut=due&q=F"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "?statut=due&amp;q=F&amp;page=2" in html


@pytest.mark.django_db
def test_the_invoice_list_sorts_by_a_column_and_says_so_to_screen_readers(tenant_a):
    family = tenant_a.family_user.family
    for total in ("10.00", "30.00", "20.00"):
        InvoiceFactory(organisation=tenant_a.organisation, family=family, total=Decimal(total))
    client = client_for(tenant_a.admin)
    html = client.get(tenant_a.url("gestion/facturation/factures/?tri=-montant")).content.decode()
    assert html.index("30,00") < html.index("20,00") < html.index("10,00")
    assert 'aria-sort="descending"><a href="?tri=montant">Montant' in html
    assert 'aria-sort="none"><a href="?tri=numero">Numéro' in html
    html = client.get(tenant_a.url("gestion/facturation/factures/?tri=montant")).content.decode()
    assert html.index("10,00") < html.index("20,00") < html.index("30,00")
    assert 'aria-sort="ascending"><a href="?tri=-montant">Montant' in html


@pytest.mark.django_db
def test_the_invoice_list_filters_through_its_filterset_and_ignores_a_foreign_status(tenant_a):
    family = tenant_a.family_user.family
    InvoiceFactory(organisation=tenant_a.organisation, family=family, number="F-DUE", status="due")
    InvoiceFactory(organisation=tenant_a.organisation, family=family, number="F-PAID", status="paid")
    client = client_for(tenant_a.admin)
    html = client.get(tenant_a.url("gestion/facturation/factures/?statut=paid")).content.decode()
    assert "F-PAID" in html and "F-DUE" not in html
    response = client.get(tenant_a.url("gestion/facturation/factures/?statut=nimportequoi&tri=total;drop"))
    assert response.status_code == 200
    assert "F-PAID" in response.content.decode() and "F-DUE" in response.content.decode()


@pytest.mark.django_db
def test_the_family_list_sorts_by_name_both_ways_keeping_its_filters(tenant_a):
    for name in ("BERNARD", "ZOLA", "ADAM"):
        FamilyFactory(organisation=tenant_a.organisation, name=name)
    client = client_for(tenant_a.admin)
    html = client.get(tenant_a.url("gestion/familles/?compte=inactive&tri=-nom")).content.decode()
    assert html.index("ZOLA") < html.index("BERNARD") < html.index("ADAM")
    assert 'aria-sort="descending"><a href="?compte=inactive&amp;tri=nom">Famille' in html
    html = client.get(tenant_a.url("gestion/familles/?compte=inactive&tri=nom")).content.decode()
    assert html.index("ADAM") < html.index("BERNARD") < html.index("ZOLA")


@pytest.mark.django_db
def test_the_outbox_filters_by_status_through_its_filterset(tenant_a):
    OutgoingEmailFactory(organisation=tenant_a.organisation, subject="Parti", status="sent")
    OutgoingEmailFactory(organisation=tenant_a.organisation, subject="En souffrance", status="failed")
    client = client_for(tenant_a.admin)
    html = client.get(tenant_a.url("gestion/courriels/?statut=failed")).content.decode()
    assert "En souffrance" in html and "Parti" not in html
    html = client.get(tenant_a.url("gestion/courriels/?statut=inconnu")).content.decode()
    assert "En souffrance" in html and "Parti" in html


# --- The pattern holds by construction: a new list or create/edit page that skips it is caught ----------
def _view_functions():
    import importlib
    import inspect
    import pkgutil

    from ribambelle import backoffice, portail

    for package in (backoffice, portail):
        for info in pkgutil.iter_modules(package.__path__):
            if info.name.endswith("views"):
                module = importlib.import_module(f"{package.__name__}.{info.name}")
                for name, function in inspect.getmembers(module, inspect.isfunction):
                    if function.__module__ == module.__name__:
                        yield f"{info.name}.{name}", inspect.getsource(function)


# Paginated lists inside a detail page, not list pages of their own: nothing to filter or sort.
PAGINATED_WITHOUT_FILTERS = {
    "communication_views.mailing_detail": "the recipients of one mass e-mail",
    "family_views.family_changes": "one family's change history",
}


def test_every_paginated_list_page_filters_and_sorts_through_a_filterset():
    """A view that paginates must paginate the `.qs` of a FilterSet returned by a selector
    (`<things>_list_for_staff(membership, request.GET)`, see core.filters.ListFilter)."""
    offending = [
        name
        for name, source in _view_functions()
        if "paginate(" in source
        and name not in PAGINATED_WITHOUT_FILTERS
        and not ("_list_for_staff(request.membership, request.GET" in source and ".qs" in source)
    ]
    assert not offending, f"Paginez le .qs d'un FilterSet rendu par un sélecteur : {offending}"


# Create and edit pages that are not one form with two states: said here, with the reason.
NOT_EDIT_PAGES = {
    "family": "creating a family asks for its first adult and checks for similar files first",
}


def test_create_and_edit_views_of_one_object_are_made_by_the_edit_page_helper():
    """A `<thing>_create`/`_new` and `<thing>_edit` pair of URLs is one `core.formpage.EditPage` (its
    `views()` marks both): no copied create/edit skeleton."""
    from django.urls import get_resolver

    from ribambelle.core.formpage import EditPage

    resolver = get_resolver()
    patterns = {}
    for namespace in ("backoffice", "portail"):
        _prefix, sub = resolver.namespace_dict[namespace]
        patterns.update({f"{namespace}:{p.name}": p.callback for p in sub.url_patterns if getattr(p, "name", None)})
    pairs = []
    for name, callback in patterns.items():
        for suffix in ("_create", "_new"):
            stem = name.removesuffix(suffix)
            if name.endswith(suffix) and f"{stem}_edit" in patterns:
                pairs.append((stem, callback, patterns[f"{stem}_edit"]))
    assert len(pairs) >= 10  # structures, sectors, activities, groups, units, news, banners, documents, tariffs…
    offending = [
        stem
        for stem, create, edit in pairs
        if stem.split(":")[-1].removeprefix("billing_") not in NOT_EDIT_PAGES
        and not (isinstance(getattr(create, "edit_page", None), EditPage) and getattr(edit, "edit_page", None))
    ]
    assert not offending, f"Déclarez ces pages avec core.formpage.EditPage(...).views(...) : {offending}"
