"""Run inside a Ribambelle tree (the old release or the current code) against DATABASE_URL: prints,
as JSON, each table's row count, each family's balance and the status of the main pages.

Kept to what both versions have (billing.selectors.family_situation, the demo's logins), and run
by `python -c` with the tree as working directory, so the old tree's code answers for the old side."""

import json
import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ribambelle.config.settings")
django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django_scopes import scopes_disabled  # noqa: E402

from ribambelle.accounts.models import User  # noqa: E402
from ribambelle.billing.selectors import family_situation  # noqa: E402
from ribambelle.families.models import Family  # noqa: E402
from ribambelle.tenancy.models import Membership, Organisation  # noqa: E402

BACKEND = "ribambelle.accounts.backends.OrganisationEmailBackend"
FAMILY_PAGES = ["", "mes-factures/", "reservations/", "inscriptions/"]
STAFF_PAGES = ["gestion/", "gestion/familles/", "gestion/facturation/factures/"]

out = {"rows": {}, "balances": {}, "pages": {}}
with connection.cursor() as cursor:
    for table in sorted(connection.introspection.table_names(cursor)):
        cursor.execute(f"SELECT COUNT(*) FROM {connection.ops.quote_name(table)}")  # noqa: S608
        out["rows"][table] = cursor.fetchone()[0]
with scopes_disabled():
    for family in Family.objects.select_related("organisation").order_by("pk"):
        situation = family_situation(family)
        out["balances"][f"{family.organisation.slug}/{family.name}/{family.pk}"] = [
            str(situation.total_due),
            str(situation.total_paid),
            str(situation.credit),
        ]
    for organisation in Organisation.objects.order_by("pk"):
        family_user = User.objects.filter(organisation=organisation, family__isnull=False).order_by("pk").first()
        staff = Membership.objects.filter(organisation=organisation).order_by("pk").first()
        for user, pages in ((family_user, FAMILY_PAGES), (staff and staff.user, STAFF_PAGES)):
            if user is None:
                continue
            client = Client()
            client.force_login(user, backend=BACKEND)
            for page in pages:
                url = f"/{organisation.slug}/{page}"
                out["pages"][url] = client.get(url).status_code
print(json.dumps(out, sort_keys=True))
