"""What the back office's documents queue can be filtered and sorted by (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter


class ReviewQueueFilter(ListFilter):
    """Documents waiting for review: `?type=` (a document type the member may see), `?q=` (family name) and
    `?tri=`; oldest first unless sorted otherwise."""

    type = django_filters.ChoiceFilter(field_name="document_type_id", label=_("Document"))
    q = django_filters.CharFilter(field_name="family__name", lookup_expr="icontains", label=_("Famille"))
    tri = django_filters.OrderingFilter(
        fields=(("created_at", "date"), ("family__name", "famille"), ("document_type__name", "document"))
    )

    def __init__(self, data=None, *args, document_types=(), **kwargs):
        super().__init__(data, *args, **kwargs)
        self.filters["type"].extra["choices"] = [(str(t.pk), t.name) for t in document_types]
