"""What the back office's outbox page can be filtered by (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ribambelle.outbox.models import EmailStatus


class OutboxFilter(django_filters.FilterSet):
    """`?statut=`; a value outside the statuses is ignored."""

    statut = django_filters.ChoiceFilter(field_name="status", choices=EmailStatus.choices, label=_("Statut"))
