"""Quotient familial read from the CAF / MSA through API Particulier v3 (issue 18, QF part), against
the local double (ribambelle.apiparticulier.doubles), a real HTTP server: the client and its typed
errors, the staff preview-then-confirm (one family, and in bulk under the rate limit), the parents'
consent and fetch in "Ma famille", the settings page (token write-only, SIRET checked), and the
token that never shows in a page or a log line."""

import logging
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from ribambelle.accounts.consent import record_consents
from ribambelle.apiparticulier import services
from ribambelle.apiparticulier.client import (
    ApiParticulierClient,
    Identity,
    Misconfigured,
    NotFound,
    RateLimited,
    Unavailable,
)
from ribambelle.apiparticulier.doubles import CNAF_IDENTITY, MSA_IDENTITY, ApiParticulierDouble
from ribambelle.apiparticulier.models import (
    ApiParticulierSettings,
    FetchStatus,
    QuotientCall,
    QuotientConsent,
    QuotientFetch,
)
from ribambelle.core import crypto
from ribambelle.families.models import Family, Person, PersonRole, QuotientRecord, QuotientSource

from .conftest import client_for, page_text
from .factories import FamilyFactory, PersonFactory

TOKEN = "jeton-secret-de-test-0123456789-ABCD"
SIRET = "21820000000014"
OTHER_SIRET = "73282932000074"
NOW = datetime(2026, 11, 16, 10, 0, tzinfo=ZoneInfo("Europe/Paris"))
LAST_MONTH = date(2026, 10, 1)


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=True):
        yield


@pytest.fixture
def double():
    server = ApiParticulierDouble(tokens=[TOKEN], recipients=[SIRET]).start()
    yield server
    server.stop()


@pytest.fixture
def configured(tenant_a, double):
    services.save_settings(
        organisation=tenant_a.organisation,
        enabled=True,
        base_url=double.url,
        siret=SIRET,
        token=TOKEN,
        acting_user=tenant_a.admin,
    )
    return double


def _adult_values(family, identity=CNAF_IDENTITY, **extra) -> Person:
    return Person(
        organisation_id=family.organisation_id,
        family=family,
        role=PersonRole.ADULT,
        first_name=identity["first_names"],
        last_name=identity["birth_name"],
        sex=identity["sex"],
        birth_date=identity["birth_date"],
        birth_country_cog="99100",
        birth_commune_cog=identity["birth_commune_cog"],
        **extra,
    )


def _adult(family, identity=CNAF_IDENTITY, **extra):
    return PersonFactory(
        organisation=family.organisation,
        family=family,
        role=PersonRole.ADULT,
        first_name=identity["first_names"],
        last_name=identity["birth_name"],
        sex=identity["sex"],
        birth_date=identity["birth_date"],
        birth_country_cog="99100",
        birth_commune_cog=identity["birth_commune_cog"],
        **extra,
    )


def _family(tenant, *, consent=True, identity=CNAF_IDENTITY, **extra):
    family = tenant.family_user.family
    _adult(family, identity, **extra)
    if consent:
        services.give_consent(family=family, acting_user=tenant.family_user)
    return family


def _identity(data) -> Identity:
    return Identity(
        birth_name=data["birth_name"],
        first_names=tuple(data["first_names"].split()),
        sex=data["sex"],
        birth_date=data["birth_date"],
        birth_commune_cog=data["birth_commune_cog"],
    )


def _named(name: str) -> Identity:
    return Identity(
        birth_name=name, first_names=("ALEX",), sex="M", birth_date=date(1990, 1, 1), birth_commune_cog="75056"
    )


def _director(tenant):
    """A director (family management permission); one per organisation."""
    from ribambelle.tenancy.models import Membership
    from ribambelle.tenancy.roles import Role

    from .factories import MembershipFactory

    existing = Membership.objects.filter(organisation=tenant.organisation, role=Role.DIRECTOR).first()
    return (existing or MembershipFactory(organisation=tenant.organisation, role=Role.DIRECTOR)).user


def _url(tenant, path):
    return tenant.url(path)


# --- The client against the double ------------------------------------------------------------


def test_the_client_reads_the_cnaf_and_msa_test_cases(double):
    client = ApiParticulierClient(base_url=double.url, token=TOKEN, recipient=SIRET)
    cnaf = client.get_quotient(_identity(CNAF_IDENTITY))
    assert (cnaf.provider, cnaf.value, cnaf.reference_month) == ("CNAF", Decimal("650"), LAST_MONTH)
    assert cnaf.calculation_month == date(2026, 9, 1)
    msa = client.get_quotient(_identity(MSA_IDENTITY), month=date(2023, 5, 1))
    assert (msa.provider, msa.value, msa.reference_month) == ("MSA", Decimal("150"), date(2023, 5, 1))
    fc = client.get_quotient_france_connect("jeton-franceconnect-de-l-usager")
    assert (fc.provider, fc.value) == ("CNAF", Decimal("650"))
    eaje = client.get_eaje_params(_identity(CNAF_IDENTITY))
    assert (eaje.children, eaje.aeeh_children, eaje.annual_resources) == (2, 0, Decimal("42000"))


@pytest.mark.parametrize(
    ("name", "error", "status", "code"),
    [
        ("INCONNU", NotFound, 404, "37003"),
        ("TESTLIMITE", RateLimited, 429, "00429"),
        ("TESTPANNE", Unavailable, 502, "37999"),
        ("TESTDELAI", Unavailable, 504, "37002"),
    ],
)
def test_the_client_raises_typed_errors(double, name, error, status, code):
    client = ApiParticulierClient(base_url=double.url, token=TOKEN, recipient=SIRET)
    with pytest.raises(error) as raised:
        client.get_quotient(_named(name))
    assert (raised.value.http_status, raised.value.code) == (status, code)
    assert TOKEN not in str(raised.value) and TOKEN not in repr(raised.value)


def test_the_double_checks_the_token_and_the_recipient_like_the_real_service(double):
    with pytest.raises(Misconfigured) as raised:
        ApiParticulierClient(base_url=double.url, token="mauvais-jeton", recipient=SIRET).get_quotient(
            _identity(CNAF_IDENTITY)
        )
    assert raised.value.http_status == 401
    with pytest.raises(Misconfigured) as raised:
        ApiParticulierClient(base_url=double.url, token=TOKEN, recipient=OTHER_SIRET).get_quotient(
            _identity(CNAF_IDENTITY)
        )
    assert raised.value.http_status == 403


def test_an_unreachable_service_is_unavailable_not_a_crash():
    client = ApiParticulierClient(base_url="http://127.0.0.1:9", token=TOKEN, recipient=SIRET)
    with pytest.raises(Unavailable):
        client.get_quotient(_identity(CNAF_IDENTITY))


def test_identity_parameters_follow_the_v3_documentation():
    params = _identity(MSA_IDENTITY).params()
    assert ("nomNaissance", "ROUX") in params
    assert [v for k, v in params if k == "prenoms[]"] == ["JEANNE", "STÉPHANIE"]
    assert ("sexeEtatCivil", "F") in params and ("codeCogInseePaysNaissance", "99100") in params
    assert ("codeCogInseeCommuneNaissance", "08480") in params
    assert ("anneeDateNaissance", "1987") in params and ("moisDateNaissance", "6") in params
    by_name = Identity(
        birth_name="Roux", first_names=("Jeanne",), sex="F", birth_date=date(1987, 6, 27),
        birth_commune_name="Charleville-Mézières", birth_department="08",
    )  # fmt: skip
    assert ("nomCommuneNaissance", "CHARLEVILLE-MÉZIÈRES") in by_name.params()
    assert ("codeCogInseeDepartementNaissance", "08") in by_name.params()


# --- Staff: one family ------------------------------------------------------------------------


def test_staff_fetch_shows_a_preview_and_saves_only_on_confirm(tenant_a, configured):
    family = _family(tenant_a)
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 302
    fetch = QuotientFetch.objects.get(family=family)
    preview = client.get(response["Location"])
    text = page_text(preview)
    assert preview.status_code == 200
    assert "650" in text and "CNAF" in text and "octobre 2026" in text
    family.refresh_from_db()
    assert family.family_quotient is None and not QuotientRecord.objects.filter(family=family).exists()

    response = client.post(response["Location"], {"decision": "enregistrer"})
    assert response.status_code == 302
    family.refresh_from_db()
    assert (family.family_quotient, family.family_quotient_source, family.family_quotient_date) == (
        Decimal("650.00"),
        QuotientSource.API,
        LAST_MONTH,
    )
    record = QuotientRecord.objects.get(family=family)
    assert (record.value, record.source, record.recorded_by) == (Decimal("650.00"), "api", _director(tenant_a))
    fetch.refresh_from_db()
    assert fetch.status == FetchStatus.APPLIED
    call = QuotientCall.objects.get(family=family, channel="staff")
    assert (call.actor, call.outcome, call.provider) == (_director(tenant_a), "found", "CNAF")
    # confirmed once: a second post finds nothing to confirm
    assert client.post(_url(tenant_a, f"gestion/quotient-caf/apercu/{fetch.pk}/"), {}).status_code == 404


def test_abandoning_the_preview_saves_nothing(tenant_a, configured):
    family = _family(tenant_a)
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    client.post(response["Location"], {"decision": "abandonner"})
    family.refresh_from_db()
    assert family.family_quotient is None and not QuotientRecord.objects.filter(family=family).exists()
    assert QuotientFetch.objects.get(family=family).status == FetchStatus.DISCARDED


def test_a_family_without_consent_cannot_be_queried_and_no_call_leaves(tenant_a, configured):
    family = _family(tenant_a, consent=False)
    response = client_for(_director(tenant_a)).post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 403
    assert "pas donné son accord" in page_text(response)
    assert configured.requests == []
    assert QuotientCall.objects.get(family=family).outcome == "refused"
    assert not QuotientFetch.objects.exists()


def test_a_withdrawn_consent_stops_the_calls_and_keeps_the_fetched_quotient(tenant_a, configured):
    family = _family(tenant_a)
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    client.post(response["Location"], {"decision": "enregistrer"})
    calls = len(configured.requests)
    services.withdraw_consent(family=family, acting_user=tenant_a.family_user)
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 403 and len(configured.requests) == calls
    family.refresh_from_db()
    assert family.family_quotient == Decimal("650.00")
    assert QuotientConsent.objects.get(family=family).withdrawn_at is not None


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("INCONNU", "Aucun dossier CAF ou MSA"),
        ("TESTLIMITE", "réessayez plus tard"),
        ("TESTPANNE", "réessayez plus tard"),
        ("TESTDELAI", "réessayez plus tard"),
    ],
)
def test_staff_fetch_errors_are_explained_and_save_nothing(tenant_a, configured, name, message):
    family = _family(tenant_a, identity={**CNAF_IDENTITY, "birth_name": name})
    response = client_for(_director(tenant_a)).post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 200
    assert message in page_text(response)
    assert not QuotientFetch.objects.exists() and not QuotientRecord.objects.exists()
    assert QuotientCall.objects.get(family=family).outcome in ("not_found", "rate_limited", "unavailable")


def test_staff_completes_the_allocataire_birth_identity(tenant_a, configured):
    family = tenant_a.family_user.family
    services.give_consent(family=family, acting_user=tenant_a.family_user)
    adult = PersonFactory(organisation=tenant_a.organisation, family=family, role=PersonRole.ADULT,
                          first_name="Julie", last_name="DURAND", birth_date=None)  # fmt: skip
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 400 and "Complétez l'état civil" in page_text(response)
    assert configured.requests == []
    url = _url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/etat-civil/{adult.pk}/")
    data = {f"p{adult.pk}-{k}": v for k, v in {
        "birth_name": "MARTIN", "first_names": "Julie Anne", "sex": "F", "birth_date": "1988-03-14",
        "birth_commune_cog": "82121"}.items()}  # fmt: skip
    assert client.post(url, {**data, f"p{adult.pk}-birth_commune_cog": "8212"}).status_code == 400
    assert client.post(url, data).status_code == 302
    adult.refresh_from_db()
    assert (adult.birth_name, adult.birth_first_names, adult.birth_commune_cog) == ("MARTIN", "Julie Anne", "82121")
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 302 and "/apercu/" in response["Location"]


def test_a_newer_manual_quotient_is_never_silently_overwritten(tenant_a, configured):
    family = _family(tenant_a)
    from ribambelle.caf.services import record_family_quotient

    record_family_quotient(family=family, value=Decimal("900"), source=QuotientSource.CAF,
                           reference_month=date(2026, 11, 1), acting_user=_director(tenant_a))  # fmt: skip
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    preview_url = response["Location"]
    text = page_text(client.get(preview_url))
    assert "saisi par le service" in text and "900" in text
    # no choice: refused, nothing saved
    assert client.post(preview_url, {"decision": "enregistrer"}).status_code == 400
    assert QuotientRecord.objects.filter(family=family).count() == 1
    # keep: the CAF value joins the history, the manual one stays current
    client.post(preview_url, {"decision": "enregistrer", "manuel": "garder"})
    family.refresh_from_db()
    assert family.family_quotient == Decimal("900.00")
    assert QuotientRecord.objects.get(family=family, reference_month=LAST_MONTH).source == "api"
    # replace, on purpose
    response = client.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    client.post(response["Location"], {"decision": "enregistrer", "manuel": "remplacer"})
    family.refresh_from_db()
    assert (family.family_quotient, family.family_quotient_source) == (Decimal("650.00"), "api")


def test_reading_needs_the_family_management_permission(tenant_a, configured):
    from ribambelle.tenancy.roles import Role

    from .factories import MembershipFactory

    family = _family(tenant_a)
    finance = MembershipFactory(organisation=tenant_a.organisation, role=Role.FINANCE).user
    response = client_for(finance).post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"))
    assert response.status_code == 403 and configured.requests == []


def test_another_organisations_family_or_preview_answers_404(tenant_a, tenant_b, configured):
    foreign = FamilyFactory(organisation=tenant_b.organisation)
    _adult(foreign)
    client = client_for(tenant_a.admin)
    assert client.post(_url(tenant_a, f"gestion/familles/{foreign.pk}/quotient-caf/")).status_code == 404
    from .factories import QuotientFetchFactory

    fetch = QuotientFetchFactory(organisation=tenant_b.organisation, family=foreign)
    assert (
        client.post(_url(tenant_a, f"gestion/quotient-caf/apercu/{fetch.pk}/"), {"decision": "enregistrer"}).status_code
        == 404
    )
    fetch.refresh_from_db()
    assert fetch.status == FetchStatus.PENDING and configured.requests == []


# --- Staff: in bulk -----------------------------------------------------------------------------


def test_bulk_preview_lists_found_not_found_refused_then_confirms(tenant_a, configured):
    found = _family(tenant_a)
    missing = FamilyFactory(organisation=tenant_a.organisation, name="ABSENT")
    _adult(missing, {**CNAF_IDENTITY, "birth_name": "INCONNU"})
    services.give_consent(family=missing, acting_user=tenant_a.admin)
    refused = FamilyFactory(organisation=tenant_a.organisation, name="SANSACCORD")
    _adult(refused)
    client = client_for(_director(tenant_a))
    page = client.get(_url(tenant_a, "gestion/quotient-caf/lot/?accord=oui"))
    assert page.status_code == 200 and "ABSENT" in page_text(page) and "SANSACCORD" not in page_text(page)
    response = client.post(_url(tenant_a, "gestion/quotient-caf/lot/"), {"famille": [found.pk, missing.pk, refused.pk]})
    assert response.status_code == 302
    text = page_text(client.get(response["Location"]))
    assert "650" in text and "CNAF" in text and "10/2026" in text
    assert "ABSENT" in text and "Aucun dossier CAF ou MSA" in text
    assert "SANSACCORD" in text and "pas donné son accord" in text
    assert len(configured.requests) == 2  # the family without consent was not called
    assert not QuotientRecord.objects.exists()
    fetch = QuotientFetch.objects.get(family=found)
    assert client.post(response["Location"], {"decision": "enregistrer", "enregistrer": [fetch.pk]}).status_code == 302
    found.refresh_from_db()
    assert found.family_quotient == Decimal("650.00")


def test_bulk_refuses_a_family_of_another_organisation(tenant_a, tenant_b, configured):
    own = _family(tenant_a)
    foreign = FamilyFactory(organisation=tenant_b.organisation)
    response = client_for(_director(tenant_a)).post(
        _url(tenant_a, "gestion/quotient-caf/lot/"), {"famille": [own.pk, foreign.pk]}
    )
    assert response.status_code == 404
    assert configured.requests == [] and not QuotientFetch.objects.exists()


def test_a_bulk_fetch_of_200_families_stays_under_the_rate_limit(tenant_a, configured):
    families = Family.objects.bulk_create(
        [Family(organisation=tenant_a.organisation, name=f"LOT{number:03}") for number in range(200)]
    )
    Person.objects.bulk_create([_adult_values(family) for family in families])
    QuotientConsent.objects.bulk_create(
        [
            QuotientConsent(organisation=tenant_a.organisation, family=family, text_version="test", given_at=NOW)
            for family in families
        ]
    )
    client = client_for(_director(tenant_a))
    response = client.post(_url(tenant_a, "gestion/quotient-caf/lot/"), {"famille": [f.pk for f in families]})
    assert response.status_code == 302
    assert configured.calls("/quotient_familial/identite") == 200
    assert configured.max_per_second() <= 20
    times = sorted(t for _p, t in configured.requests)
    assert times[-1] - times[0] >= 9.0  # 200 calls at under 20 per second take at least 10 seconds
    assert QuotientFetch.objects.filter(status="pending").count() == 200
    fetches = QuotientFetch.objects.values_list("pk", flat=True)
    client.post(response["Location"], {"decision": "enregistrer", "enregistrer": list(fetches)})
    assert Family.objects.filter(organisation=tenant_a.organisation, family_quotient=Decimal("650")).count() == 200


# --- Parents, "Ma famille" -----------------------------------------------------------------------


def _parent(tenant):
    record_consents(user=tenant.family_user, personal=True, health=True)
    return client_for(tenant.family_user)


def _identity_post(identity=CNAF_IDENTITY, person=None):
    return {
        "action": "lire",
        "id-person": person.pk if person else "",
        "id-birth_name": identity["birth_name"],
        "id-first_names": identity["first_names"],
        "id-sex": identity["sex"],
        "id-birth_date": identity["birth_date"].isoformat(),
        "id-birth_commune_cog": identity["birth_commune_cog"],
    }


def test_a_parent_consents_then_reads_the_quotient(tenant_a, configured):
    family = _family(tenant_a, consent=False)
    adult = family.members.get(role=PersonRole.ADULT)
    client = _parent(tenant_a)
    overview = page_text(client.get(_url(tenant_a, "ma-famille/")))
    assert "Mettre à jour mon quotient familial" in overview
    page = client.get(_url(tenant_a, "ma-famille/quotient-familial/"))
    text = page_text(page)
    assert "CAF" in text and "MSA" in text and services.CONSENT_TEXT_VERSION in text
    assert "Combien de temps" in text
    # reading before agreeing: refused, no call
    assert client.post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=adult)).status_code == 403
    assert configured.requests == []
    assert client.post(_url(tenant_a, "ma-famille/quotient-familial/"), {"action": "accord"}).status_code == 400
    assert (
        client.post(_url(tenant_a, "ma-famille/quotient-familial/"), {"action": "accord", "agree": "on"}).status_code
        == 302
    )
    consent = QuotientConsent.objects.get(family=family)
    assert (consent.text_version, consent.given_by) == (services.CONSENT_TEXT_VERSION, tenant_a.family_user)
    response = client.post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=adult))
    assert response.status_code == 200
    assert "650" in page_text(response) and "CNAF" in page_text(response)
    family.refresh_from_db()
    assert (family.family_quotient, family.family_quotient_source) == (Decimal("650.00"), "api")
    assert QuotientCall.objects.get(family=family).channel == "portal"


def test_a_parent_without_a_file_is_offered_the_certificate_upload(tenant_a, configured):
    from ribambelle.documents.models import DocumentScope

    from .factories import DocumentTypeFactory

    certificate = DocumentTypeFactory(organisation=tenant_a.organisation, name="Attestation CAF (quotient familial)",
                                      scope=DocumentScope.FAMILY)  # fmt: skip
    family = _family(tenant_a)
    adult = family.members.get(role=PersonRole.ADULT)
    response = _parent(tenant_a).post(
        _url(tenant_a, "ma-famille/quotient-familial/"),
        _identity_post({**CNAF_IDENTITY, "birth_name": "INCONNU"}, person=adult),
    )
    text = page_text(response)
    assert "Aucun dossier CAF ou MSA" in text
    assert f"mes-documents/famille/ajouter/?type={certificate.pk}" in text
    family.refresh_from_db()
    assert family.family_quotient is None


@pytest.mark.parametrize("name", ["TESTLIMITE", "TESTPANNE", "TESTDELAI"])
def test_a_parent_is_told_to_retry_later_and_nothing_is_saved(tenant_a, configured, name):
    family = _family(tenant_a)
    adult = family.members.get(role=PersonRole.ADULT)
    response = _parent(tenant_a).post(
        _url(tenant_a, "ma-famille/quotient-familial/"),
        _identity_post({**CNAF_IDENTITY, "birth_name": name}, person=adult),
    )
    assert "réessayez plus tard" in page_text(response)
    family.refresh_from_db()
    assert family.family_quotient is None and not QuotientRecord.objects.exists()


def test_a_parent_withdraws_consent_and_no_more_calls_are_made(tenant_a, configured):
    family = _family(tenant_a)
    adult = family.members.get(role=PersonRole.ADULT)
    client = _parent(tenant_a)
    client.post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=adult))
    assert client.post(_url(tenant_a, "ma-famille/quotient-familial/retrait/")).status_code == 302
    calls = len(configured.requests)
    assert client.post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=adult)).status_code == 403
    assert len(configured.requests) == calls
    family.refresh_from_db()
    assert family.family_quotient == Decimal("650.00")  # the fetched QF stays


def test_a_parent_logged_in_with_franceconnect_types_no_identity(tenant_a, configured):
    family = tenant_a.family_user.family
    services.give_consent(family=family, acting_user=tenant_a.family_user)
    client = _parent(tenant_a)
    session = client.session
    session["franceconnect_access_token"] = "jeton-fc-de-l-usager"
    session.save()
    page = page_text(client.get(_url(tenant_a, "ma-famille/quotient-familial/")))
    assert "FranceConnect" in page and "Nom de naissance" not in page
    response = client.post(_url(tenant_a, "ma-famille/quotient-familial/"), {"action": "lire"})
    assert response.status_code == 200 and "650" in page_text(response)
    assert configured.calls("/quotient_familial/france_connect") == 1 and configured.calls("/identite") == 0
    family.refresh_from_db()
    assert family.family_quotient_source == QuotientSource.FRANCECONNECT


def test_a_parent_cannot_read_for_a_person_of_another_family(tenant_a, configured):
    _family(tenant_a)
    other = PersonFactory(organisation=tenant_a.organisation, family=tenant_a.other_family_user.family,
                          role=PersonRole.ADULT)  # fmt: skip
    response = _parent(tenant_a).post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=other))
    assert response.status_code == 400 and configured.requests == []
    other.refresh_from_db()
    assert other.birth_name == ""


# --- Settings ------------------------------------------------------------------------------------


def test_settings_keep_the_token_encrypted_and_never_show_it(tenant_a, double):
    client = client_for(tenant_a.admin)
    url = _url(tenant_a, "gestion/reglages/api-particulier/")
    data = {"enabled": "on", "base_url": double.url, "siret": "218 200 000 000 14", "token": TOKEN}
    assert client.post(url, data).status_code == 302
    config = ApiParticulierSettings.objects.get(organisation=tenant_a.organisation)
    assert config.siret == SIRET and TOKEN not in config.token_encrypted
    assert crypto.decrypt(config.token_encrypted) == TOKEN
    page = page_text(client.get(url))
    assert "••••ABCD" in page and TOKEN not in page
    # an empty token keeps the stored one
    assert client.post(url, {**data, "token": ""}).status_code == 302
    assert crypto.decrypt(ApiParticulierSettings.objects.get(pk=config.pk).token_encrypted) == TOKEN
    response = client.post(url, {**data, "tester": "1"})
    assert "Connexion réussie" in page_text(response) and TOKEN not in page_text(response)


def test_settings_refuse_a_wrong_siret_and_a_failing_connection_says_why(tenant_a, double):
    client = client_for(tenant_a.admin)
    url = _url(tenant_a, "gestion/reglages/api-particulier/")
    response = client.post(url, {"enabled": "on", "base_url": double.url, "siret": "21820000000015", "token": TOKEN})
    assert response.status_code == 400 and "SIRET n'est pas valide" in page_text(response)
    assert not ApiParticulierSettings.objects.exists()
    client.post(url, {"enabled": "on", "base_url": double.url, "siret": SIRET, "token": "autre-jeton-refuse"})
    response = client.post(url, {"tester": "1"})
    assert "refuse l'accès" in page_text(response)


def test_settings_are_for_administrators(tenant_a):
    assert client_for(tenant_a.agent).get(_url(tenant_a, "gestion/reglages/api-particulier/")).status_code == 403


# --- The token never leaks ------------------------------------------------------------------------


def test_the_token_never_appears_in_a_page_or_a_log_line(tenant_a, double, caplog):
    caplog.set_level(logging.DEBUG)
    admin = client_for(tenant_a.admin)
    bodies = []
    url = _url(tenant_a, "gestion/reglages/api-particulier/")
    for data in (
        {"enabled": "on", "base_url": double.url, "siret": SIRET, "token": TOKEN},
        {"tester": "1"},
        {"enabled": "on", "base_url": double.url, "siret": "123", "token": TOKEN},  # refused form
    ):
        bodies.append(admin.post(url, data, follow=True).content.decode())
    bodies.append(admin.get(url).content.decode())
    family = _family(tenant_a)
    agent = client_for(_director(tenant_a))
    response = agent.post(_url(tenant_a, f"gestion/familles/{family.pk}/quotient-caf/"), follow=True)
    bodies.append(response.content.decode())
    bodies.append(
        agent.post(_url(tenant_a, "gestion/quotient-caf/lot/"), {"famille": [family.pk]}, follow=True).content.decode()
    )
    adult = family.members.get(role=PersonRole.ADULT)
    parent = _parent(tenant_a)
    bodies.append(
        parent.post(_url(tenant_a, "ma-famille/quotient-familial/"), _identity_post(person=adult)).content.decode()
    )
    for name in ("TESTPANNE", "INCONNU"):
        bodies.append(
            parent.post(
                _url(tenant_a, "ma-famille/quotient-familial/"),
                _identity_post({**CNAF_IDENTITY, "birth_name": name}, person=adult),
            ).content.decode()
        )
    assert len(double.requests) >= 5
    for body in bodies:
        assert TOKEN not in body and TOKEN[-8:] not in body
    assert caplog.records  # the calls are logged …
    logged = "\n".join(f"{r.getMessage()} {r.args}" for r in caplog.records)
    assert TOKEN not in logged
    # … without personal data: no name, no birth date
    assert "MARTIN" not in logged and "1988" not in logged
    from ribambelle.core.models import AuditEntry

    assert TOKEN not in str(list(AuditEntry.objects.values_list("changes", flat=True)))


# --- Query counts ------------------------------------------------------------------------------------


def _count_queries(client, url) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_bulk_pages_query_count_does_not_grow_with_the_families(tenant_a):
    import uuid

    from .factories import QuotientFetchFactory

    client = client_for(_director(tenant_a))
    batch = uuid.uuid4()
    list_url = _url(tenant_a, "gestion/quotient-caf/lot/")
    preview_url = _url(tenant_a, f"gestion/quotient-caf/lot/{batch}/")

    def add(count):
        for _ in range(count):
            family = FamilyFactory(organisation=tenant_a.organisation, family_quotient=Decimal("700"),
                                   family_quotient_date=date(2026, 11, 1), family_quotient_source="caf")  # fmt: skip
            _adult(family)
            QuotientFetchFactory(organisation=tenant_a.organisation, family=family, batch=batch)

    add(2)
    few = (_count_queries(client, list_url), _count_queries(client, preview_url))
    add(6)
    assert (_count_queries(client, list_url), _count_queries(client, preview_url)) == few
    assert "le remplacer" in page_text(client.get(preview_url))  # the manual QF of November is named


def test_outside_production_a_new_organisation_points_to_the_local_double(settings, tenant_a):
    """No real network in tests or the demo: the default address is the local double; production
    (and any organisation's own setting) uses the real service."""
    assert settings.API_PARTICULIER_DEFAULT_URL.startswith("http://127.0.0.1:")
    config = ApiParticulierSettings(organisation=tenant_a.organisation)
    assert config.base_url == settings.API_PARTICULIER_DEFAULT_URL
    settings.API_PARTICULIER_DEFAULT_URL = "https://particulier.api.gouv.fr"
    assert ApiParticulierSettings(organisation=tenant_a.organisation).base_url == "https://particulier.api.gouv.fr"
