"""Several counts in one round trip: each a scalar subquery of a single SELECT."""

from django.db.models import F, Func, IntegerField, Subquery

from ribambelle.tenancy.models import Organisation


def count_each(organisation_id: int, querysets: dict) -> dict[str, int]:
    """The size of each queryset, by name, read in one query on the organisation's row."""
    counts = {
        name: Subquery(
            # COUNT as a plain function, not an aggregate: no GROUP BY, one row per subquery.
            queryset.order_by().values(n=Func(F("pk"), function="COUNT", output_field=IntegerField())),
            output_field=IntegerField(),
        )
        for name, queryset in querysets.items()
    }
    return Organisation.objects.filter(pk=organisation_id).values(**counts).get()
