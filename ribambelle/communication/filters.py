"""What the back office's communication lists can be filtered and sorted by (django-filter)."""

import django_filters
from django.utils.translation import gettext_lazy as _

from ribambelle.core.filters import ListFilter
from ribambelle.outbox.models import EmailStatus

from .models import MailingScope, ThreadStatus


class OutboxFilter(ListFilter):
    """`?statut=`; a value outside the statuses is ignored."""

    statut = django_filters.ChoiceFilter(
        field_name="status", choices=EmailStatus.choices, label=_("Statut"), empty_label=_("Tous")
    )


ALL_THREADS = "tous"


class ThreadFilter(ListFilter):
    """The staff inbox: `?structure=` (one of the member's structures), `?statut=` (new by default, `tous` for
    every status) and `?tri=`. A structure out of the member's reach is refused like an unknown one."""

    structure = django_filters.ChoiceFilter(field_name="structure_id", label=_("Structure"), empty_label=None)
    statut = django_filters.ChoiceFilter(
        method="status", choices=[*ThreadStatus.choices, (ALL_THREADS, _("Tous"))], label=_("Statut"), empty_label=None
    )
    tri = django_filters.OrderingFilter(
        fields=(("last_message_at", "date"), ("family__name", "famille"), ("subject", "objet"))
    )

    def __init__(self, data=None, *args, structures=(), **kwargs):
        if data is not None and not data.get("statut"):
            data = data.copy()
            data["statut"] = ThreadStatus.NEW
        super().__init__(data, *args, **kwargs)
        self.filters["structure"].extra["choices"] = [("", _("Toutes mes structures"))] + [
            (str(s.pk), s.name) for s in structures
        ]

    def status(self, queryset, name, value):
        return queryset if value == ALL_THREADS else queryset.filter(status=value)

    @property
    def status_value(self) -> str:
        """The status the list shows ("" when the one asked for is not known: then every status is listed)."""
        self.form.is_valid()
        return self.form.cleaned_data.get("statut", "")


class MailingFilter(ListFilter):
    """Mass e-mails: `?q=` (subject), `?destinataires=` (scope) and `?tri=`."""

    q = django_filters.CharFilter(field_name="subject", lookup_expr="icontains", label=_("Objet"))
    destinataires = django_filters.ChoiceFilter(
        field_name="scope", choices=MailingScope.choices, label=_("Destinataires")
    )
    tri = django_filters.OrderingFilter(
        fields=(("sent_at", "date"), ("subject", "objet"), ("recipient_count", "adresses"))
    )
