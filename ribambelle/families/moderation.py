"""Which changes a family makes in the portal wait for staff ("modération").

Each key groups fields that change together (an address is one change, not four);
the organisation picks the keys it moderates in FamilySettings.moderated.
"""

from django.utils.translation import gettext_lazy as _

FAMILY_FIELD_GROUPS: dict[str, tuple[str, list[str]]] = {
    "family.name": (_("Nom de la famille"), ["name"]),
    "family.address": (_("Adresse"), ["address_line", "address_line_2", "postal_code", "city"]),
    "family.contact": (_("Téléphones et e-mail de la famille"), ["phone", "phone_2", "email"]),
    "family.preferences": (_("Préférences d'envoi par e-mail"), ["email_notifications", "email_invoices"]),
}

PERSON_FIELD_GROUPS: dict[str, tuple[str, list[str]]] = {
    "person.name": (_("Noms et prénoms"), ["first_name", "last_name"]),
    "person.birth_date": (_("Dates de naissance"), ["birth_date"]),
    "person.sex": (_("Sexe"), ["sex"]),
    "person.contact": (_("Téléphones et e-mail des responsables"), ["phone", "work_phone", "email"]),
    "person.work": (_("Lien, profession et employeur des responsables"), ["relationship", "occupation", "employer"]),
    "child.school": (_("École et classe des enfants"), ["school", "school_level"]),
    "child.care": (
        _("Régime, recommandations et autorisations des enfants"),
        ["diets", "diet_notes", "care_recommendations", "image_rights", "may_leave_alone", "transport_allowed"],
    ),
}

ACTION_KEYS: dict[str, str] = {
    "child.add": _("Ajout d'un enfant"),
    "authorised.add": _("Ajout d'une personne autorisée"),
    "authorised.update": _("Modification d'une personne autorisée"),
    "authorised.remove": _("Retrait d'une personne autorisée"),
}

# The "sensible defaults": names, birth dates, address, adding a child, removing an
# authorised person. Phones and e-mails apply at once (families must be reachable).
DEFAULT_MODERATED = (
    "family.name",
    "family.address",
    "person.name",
    "person.birth_date",
    "child.add",
    "authorised.remove",
)


def all_keys() -> list[tuple[str, str]]:
    keys = [(key, label) for key, (label, _fields) in FAMILY_FIELD_GROUPS.items()]
    keys += [(key, label) for key, (label, _fields) in PERSON_FIELD_GROUPS.items()]
    keys += list(ACTION_KEYS.items())
    return keys


def key_for_field(groups: dict, field: str) -> str:
    for key, (_label, fields) in groups.items():
        if field in fields:
            return key
    raise KeyError(field)
