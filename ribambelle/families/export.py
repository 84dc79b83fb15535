"""GDPR export: every piece of data the organisation holds on one family, as JSON."""

from django.forms.models import model_to_dict
from django.utils import timezone

from .models import ChangeRequest, Family, HealthRecord, Person, Vaccination

FAMILY_SKIP = {"organisation", "search_text", "id"}


def _clean(data: dict, skip=()) -> dict:
    return {k: v for k, v in data.items() if k not in skip}


CONTACT_FIELDS = ("email", "phone", "work_phone", "occupation", "employer", "birth_date")
FAMILY_CONTACT_FIELDS = ("address_line", "address_line_2", "postal_code", "city", "phone", "phone_2", "email")


def family_export(
    family: Family, *, include_health: bool, hide_people=(), hide_users=(), hide_family_contacts=False
) -> dict:
    """`hide_*`: what a separated parent may not read of the other household (its adults' contact
    details, its logins and their actions, the family file's own address)."""
    from ribambelle.accounts.models import ActivityLog, ConsentRecord, User

    organisation = family.organisation
    members = []
    people = Person.objects.filter(organisation=organisation, family=family).prefetch_related(
        "diets", "authorised_persons"
    )
    health = {}
    vaccinations = {}
    if include_health:
        health = {r.child_id: r for r in HealthRecord.objects.filter(organisation=organisation, family=family)}
        for v in Vaccination.objects.filter(organisation=organisation, family=family):
            vaccinations.setdefault(v.child_id, []).append({"vaccin": v.vaccine, "date": v.date})
    for person in people:
        entry = _clean(model_to_dict(person, exclude=["organisation", "family", "diets"]), {"id"})
        entry["role"] = person.get_role_display()
        if person.is_child:
            entry["regimes"] = [d.name for d in person.diets.all()]
            entry["personnes_autorisees"] = [
                _clean(model_to_dict(a, exclude=["organisation", "family", "child"]), {"id"})
                for a in person.authorised_persons.all()
            ]
            if include_health and person.pk in health:
                entry["informations_sanitaires"] = _clean(
                    model_to_dict(health[person.pk], exclude=["organisation", "family", "child"]), {"id"}
                )
                entry["vaccinations"] = vaccinations.get(person.pk, [])
        else:
            for name in ("school", "school_level", "diet_notes", "care_recommendations"):
                entry.pop(name, None)
            if person.pk in hide_people:
                for name in CONTACT_FIELDS:
                    entry.pop(name, None)
        members.append(entry)
    family_data = _clean(model_to_dict(family), FAMILY_SKIP)
    if hide_family_contacts:
        family_data = _clean(family_data, FAMILY_CONTACT_FIELDS)
    return {
        "export": {
            "organisation": organisation.name,
            "responsable_du_traitement": organisation.gdpr_controller or organisation.name,
            "date": timezone.now().isoformat(),
            "donnees_de_sante_incluses": include_health,
        },
        "famille": family_data,
        "membres": members,
        "comptes": [
            {"email": u.email, "prenom": u.first_name, "nom": u.last_name, "active_le": u.activated_at}
            for u in User.objects.filter(organisation=organisation, family=family).exclude(pk__in=list(hide_users))
        ],
        "consentements": [
            {"type": c.get_kind_display(), "donne": c.given, "version_du_texte": c.text_version, "date": c.created_at}
            for c in ConsentRecord.objects.filter(organisation=organisation, family=family).exclude(
                user_id__in=list(hide_users)
            )
        ],
        "modifications": [
            {
                "date": cr.created_at,
                "objet": cr.subject,
                "statut": cr.get_status_display(),
                "changements": {k: {"avant": v.get("old"), "apres": v.get("new")} for k, v in cr.changes.items()},
                "motif": cr.reason,
            }
            for cr in ChangeRequest.objects.filter(organisation=organisation, family=family)
        ],
        "historique": [
            {"date": log.created_at, "action": log.description, "appareil": log.device}
            for log in ActivityLog.objects.filter(organisation=organisation, family=family).exclude(
                user_id__in=list(hide_users)
            )
        ],
    }
