"""Demo: Hélios settings on both organisations (a budget each, the activities' product codes
for Quercy), and Pouilly's last issued run exported to PES, so the back office shows a rôle.
Called once by the loader (demo/data.py, section "helios")."""

from django.utils import timezone

from ribambelle.activities.models import Activity
from ribambelle.billing.models import InvoiceRun, RunStatus
from ribambelle.core.exceptions import DomainError
from ribambelle.families.models import Family, PayerCivility
from ribambelle.helios.models import HeliosProductCode, HeliosSettings
from ribambelle.helios.services import export_pes

SETTINGS = {
    # Fictitious but well-formed: codique of the poste, SIRET with its Luhn key.
    "quercy-vert-aveyron": {
        "id_post": "082012",
        "siret": "20000000000014",
        "cod_col": "114",
        "cod_bud": "02",
        "budget_label": "Budget annexe enfance-jeunesse",
        "default_product_code": "ALSH",
        "edition": "",
    },
    "pouilly-bligny": {
        "id_post": "021011",
        "siret": "21580123400018",
        "cod_col": "067",
        "cod_bud": "01",
        "budget_label": "Budget principal",
        "default_product_code": "ENF",
        "edition": "06",
    },
}


def load_helios(quercy, pouilly) -> None:
    for organisation in (quercy, pouilly):
        values = SETTINGS.get(organisation.slug)
        if values is None:
            continue
        settings, _created = HeliosSettings.objects.get_or_create(
            organisation=organisation, cod_col=values["cod_col"], cod_bud=values["cod_bud"], defaults=values
        )
        if organisation == quercy:
            HeliosProductCode.objects.bulk_create(
                [
                    HeliosProductCode(organisation=organisation, settings=settings, activity=activity, code="PERI")
                    for activity in Activity.objects.filter(organisation=organisation, name__icontains="scolaire")
                ],
                ignore_conflicts=True,
            )
    # Each organisation's last issued run goes to the Trésor when something is left to collect
    # (Pouilly's only invoice is paid by its SEPA demo, so Quercy's run shows the rôle there).
    for organisation in (pouilly, quercy):
        _export_last_run(organisation)


def _export_last_run(organisation) -> None:
    run = InvoiceRun.objects.filter(organisation=organisation, status=RunStatus.DONE).order_by("-created_at").first()
    if run is None:
        return
    # The demo families of the run get the payer fields the Trésor needs (the demo's own rows).
    families = Family.objects.filter(organisation=organisation, pk__in=run.invoices.values("family_id"))
    families.filter(payer_civility="").update(payer_civility=PayerCivility.MRS)
    families.filter(address_line="").update(address_line="Place de la Mairie")
    families.filter(postal_code="").update(postal_code="21320" if organisation.slug == "pouilly-bligny" else "82800")
    families.filter(city="").update(
        city="Pouilly-en-Auxois" if organisation.slug == "pouilly-bligny" else "Nègrepelisse"
    )
    try:
        export_pes(
            run=run,
            settings=HeliosSettings.objects.filter(organisation=organisation).first(),
            acting_user=None,
            today=timezone.localdate(),
        )
    except DomainError:
        pass  # nothing left to send (all paid), or a field a user removed: the page shows why
