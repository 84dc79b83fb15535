"""The base of every list page's FilterSet (django-filter).

A selector `<things>_list_for_staff(membership, params)` returns a `ListFilter` on its scoped queryset; the
view paginates `filterset.qs` (`core.pagination.paginate`); the template shows `includes/filter_form.html`
(the filters, GET, labelled, working without JavaScript) and `includes/sort_header.html` on each sortable
column. A value the form refuses (a status that does not exist, a date such as 31/02) is shown next to its
field in French and ignored, as if that filter were not set: the page still answers 200.
"""

from collections import OrderedDict

import django_filters
from django import forms
from django.utils.translation import gettext_lazy as _

from .forms import StyledForm

SORT = "tri"


class FilterForm(StyledForm):
    """Filters render through the one field template (labels, help, errors tied by aria-describedby)."""


class ListFilter(django_filters.FilterSet):
    """`?tri=` is the OrderingFilter's name on every list; the other filters are the page's own."""

    form_base = FilterForm

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for filter_ in self.filters.values():
            if isinstance(filter_, django_filters.ChoiceFilter):
                filter_.extra.setdefault("empty_label", _("Tous"))  # not django-filter's "---------"

    def get_form_class(self):
        fields = OrderedDict((name, filter_.field) for name, filter_ in self.filters.items())
        return type(f"{type(self).__name__}Form", (self.form_base,), fields)

    @property
    def sort(self) -> str:
        """The ordering the page shows (for the headers' `aria-sort`), "" when none or not a known one."""
        value = self.data.get(SORT, "") if self.data is not None else ""
        return value if SORT in self.filters and not self.form.errors.get(SORT) else ""

    @property
    def filter_fields(self):
        """The fields the filter form shows (the ordering is chosen on the column headers)."""
        return [field for field in self.form if field.name != SORT]


DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class AuditFilterForm(FilterForm):
    def clean(self):
        cleaned = super().clean()
        if cleaned.get("since") and cleaned.get("until") and cleaned["since"] > cleaned["until"]:
            self.add_error(None, _("La date de début doit précéder la date de fin."))
        return cleaned


class AuditFilter(ListFilter):
    """The audit trail: who (`actor`), which action, on what kind of object, between two days (Europe/Paris),
    a word of the object's name, and `?tri=date` (newest first by default). The narrowing itself is
    `core.selectors.narrow_audit`, shared with the other readers of the trail."""

    form_base = AuditFilterForm

    actor = django_filters.TypedChoiceFilter(label=_("Qui"), coerce=int, empty_value=None, method="noop")
    action = django_filters.ChoiceFilter(label=_("Action"), method="noop", empty_label=None)
    object_type = django_filters.ChoiceFilter(label=_("Sur quoi"), method="noop", empty_label=None)
    since = django_filters.DateFilter(label=_("Du"), widget=DATE, method="noop")
    until = django_filters.DateFilter(label=_("Au"), widget=DATE, method="noop")
    text = django_filters.CharFilter(label=_("Objet contenant"), max_length=100, method="noop")
    tri = django_filters.OrderingFilter(fields=(("created_at", "date"),))

    def __init__(self, data=None, *args, actors=(), actions=(), object_types=(), **kwargs):
        super().__init__(data, *args, **kwargs)
        everyone = [("", _("Tous"))]
        for name, choices in (("actor", actors), ("action", actions), ("object_type", object_types)):
            self.filters[name].extra["choices"] = everyone + list(choices)

    def noop(self, queryset, name, value):
        return queryset  # applied together by filter_queryset

    def filter_queryset(self, queryset):
        from .selectors import AuditFilters, narrow_audit

        # Filters that read together (a period): one refused value and none applies, the whole trail is listed.
        data = {} if self.form.errors else self.form.cleaned_data
        queryset = narrow_audit(
            queryset,
            AuditFilters(
                actor_id=data.get("actor"),
                action=data.get("action") or "",
                object_type=data.get("object_type") or "",
                since=data.get("since"),
                until=data.get("until"),
                text=(data.get("text") or "").strip(),
            ),
        )
        return self.filters["tri"].filter(queryset, self.form.cleaned_data.get("tri"))
