"""Demo of the quotient familial read from the CAF / MSA (API Particulier, issue 18): Quercy's
settings point to the local double (`make run` serves it on API_PARTICULIER_DOUBLE_PORT) with the
double's demo token and SIRET; Julie MARTIN (julie.martin@famille.example) carries the double's
CNAF test identity and has given her consent, and the family's current QF was read from the
double (a double started for the loading, on a free port): 650, CNAF, last month. DUPONT has not
consented (the staff action answers it cannot be queried)."""

from django.conf import settings


def load(quercy) -> None:
    from ribambelle.apiparticulier import services
    from ribambelle.apiparticulier.client import ApiParticulierClient
    from ribambelle.apiparticulier.doubles import CNAF_IDENTITY, DEMO_SIRET, DEMO_TOKEN, ApiParticulierDouble
    from ribambelle.apiparticulier.models import ApiParticulierSettings
    from ribambelle.apiparticulier.selectors import identity_for
    from ribambelle.core import crypto
    from ribambelle.families.models import Person, PersonRole, QuotientSource

    from .data import _family

    ApiParticulierSettings.objects.update_or_create(
        organisation=quercy,
        defaults={
            "enabled": True,
            "base_url": settings.API_PARTICULIER_DEFAULT_URL,
            "token_encrypted": crypto.encrypt(DEMO_TOKEN),
            "token_hint": DEMO_TOKEN[-4:],
            "siret": DEMO_SIRET,
        },
    )
    family = _family(quercy, "MARTIN")
    if family is None:
        return
    julie = Person.objects.filter(family=family, role=PersonRole.ADULT, first_name="Julie").first()
    if julie is None:
        return
    julie.birth_name = CNAF_IDENTITY["birth_name"]
    julie.sex = CNAF_IDENTITY["sex"]
    julie.birth_date = CNAF_IDENTITY["birth_date"]
    julie.birth_country_cog = "99100"
    julie.birth_commune_cog = CNAF_IDENTITY["birth_commune_cog"]
    julie.save()
    user = family.accounts.filter(email="julie.martin@famille.example").first()
    services.give_consent.inner(family=family, acting_user=user)
    double = ApiParticulierDouble().start()
    try:
        client = ApiParticulierClient(base_url=double.url, token=DEMO_TOKEN, recipient=DEMO_SIRET)
        result = client.get_quotient(identity_for(julie))
    finally:
        double.stop()
    services.record_fetched.inner(family=family, result=result, source=QuotientSource.API, acting_user=user)
