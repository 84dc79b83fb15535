"""No lost updates: an edit form carries the values it was read at.

Two staff members open the same family file; the first changes the phone number, the second the
address. Without this, the second save writes back the whole form — the old phone number
included — and the first change is silently lost. With it, the service compares, under the row
lock, the values the editor read with the values stored now, field by field:

- a field someone else changed that this editor left as read keeps the other person's value
  (it is not written back);
- a field both changed, to different values, refuses the save (EditConflict) and shows the
  other person's value; the form then carries the new values, so saving again is a choice.
"""

from decimal import Decimal

from django import forms
from django.core import signing
from django.db import models
from django.utils.translation import gettext as _

from .exceptions import DomainError

_SALT = "ribambelle.read-values"


def _comparable(value):
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Decimal):
        return str(value.normalize())
    if isinstance(value, list | tuple | set | models.QuerySet | models.Manager):
        items = value.all() if isinstance(value, models.Manager) else value
        return sorted(str(_comparable(v)) for v in items)
    if value is None:
        return ""
    return str(value)


def _current(obj, name):
    field = obj._meta.get_field(name)
    if field.many_to_many:
        return obj.pk and list(getattr(obj, name).all()) or []
    return getattr(obj, name)


def snapshot(obj, names) -> dict:
    return {name: _comparable(_current(obj, name)) for name in names}


class EditConflict(DomainError):
    def __init__(self, obj, fields: dict):
        self.fields = fields  # name -> the other person's value, as shown
        self.current = snapshot(obj, fields)
        changes = ", ".join(
            _("%(field)s est maintenant « %(value)s »")
            % {"field": obj._meta.get_field(name).verbose_name, "value": shown or _("vide")}
            for name, shown in fields.items()
        )
        super().__init__(
            _(
                "Quelqu'un d'autre vient de modifier cette fiche : %(changes)s. Rien n'a été enregistré : "
                "vérifiez ces champs puis enregistrez de nouveau."
            )
            % {"changes": changes}
        )


def merge_edit(obj, values: dict, read: dict | None) -> dict:
    """The values to write: `values` (the whole form) minus the fields someone else changed since
    `read` that this editor left as read. Raises EditConflict when both changed the same field.
    Call it with `obj` freshly read under the row lock. `read` None: no version known, as before."""
    if read is None:
        return values
    kept, conflicts = {}, {}
    for name, value in values.items():
        if name not in read:
            kept[name] = value
            continue
        now, mine = _comparable(_current(obj, name)), _comparable(value)
        if now == read[name] or mine == now:
            kept[name] = value
        elif mine != read[name]:
            conflicts[name] = _shown(obj, name)
        # else: changed by someone else, left as read here -> keep theirs
    if conflicts:
        raise EditConflict(obj, conflicts)
    return kept


def _shown(obj, name) -> str:
    current = _current(obj, name)
    if isinstance(current, list):
        return ", ".join(str(v) for v in current)
    display = getattr(obj, f"get_{name}_display", None)
    if display is not None:
        return str(display())
    if isinstance(current, bool):
        return _("oui") if current else _("non")
    return "" if current is None else str(current)


class ReadValuesMixin(forms.BaseForm):
    """Adds the hidden `read_values` to a ModelForm: the instance's values when the page was read."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["read_values"] = forms.CharField(widget=forms.HiddenInput, required=False)
        if not self.is_bound:
            self.initial["read_values"] = signing.dumps(snapshot(self.instance, self._tracked()), salt=_SALT)

    def _tracked(self):
        return [name for name in self._meta.fields if name in self.fields]

    def read_values(self) -> dict | None:
        try:
            return signing.loads(self.data.get(self.add_prefix("read_values"), ""), salt=_SALT)
        except signing.BadSignature:
            return None

    def show_conflict(self, conflict: EditConflict) -> None:
        """The refusal on the form; saving again now overrides knowingly."""
        self.data = self.data.copy()
        read = self.read_values() or {}
        self.data[self.add_prefix("read_values")] = signing.dumps({**read, **conflict.current}, salt=_SALT)
        self.add_error(None, conflict.message)
        for name, shown in conflict.fields.items():
            if name in self.fields:
                self.add_error(name, _("Maintenant : « %(value)s »") % {"value": shown or _("vide")})
