"""Who receives a family's e-mails: the one rule, used by every e-mail sent to a family
(invoices, receipts, reminders, documents, bookings, registrations, changes, messages,
mass mailing).

A family is written to at the address of each activated login of the family and of each
legal guardian (responsable légal) on the family file, each address once, whatever its case.
The family file's own "E-mail" field is used only when the family has neither: an imported
family with no login and no guardian's address is not left without its invoices. A login
that has not been activated is not written to (its owner has not confirmed the address).
"""

from dataclasses import dataclass

from .models import Family, Person, PersonRole


@dataclass(frozen=True)
class Recipient:
    email: str
    first_name: str = ""
    # The login behind the address, when there is one (recorded on the outbox row).
    user: object | None = None


def recipients_by_family(organisation, family_ids) -> dict[int, list[Recipient]]:
    """Each family's recipients, in three queries whatever the number of families."""
    from ribambelle.accounts.models import User

    family_ids = list(family_ids)
    found: dict[int, dict[str, Recipient]] = {pk: {} for pk in family_ids}

    def add(family_id: int, recipient: Recipient) -> None:
        key = recipient.email.strip().lower()
        if key and key not in found[family_id]:
            found[family_id][key] = recipient

    logins = User.objects.filter(
        organisation=organisation, family_id__in=family_ids, is_active=True, activated_at__isnull=False
    ).order_by("email", "pk")
    for user in logins:
        add(user.family_id, Recipient(email=user.email, first_name=user.first_name, user=user))
    guardians = Person.objects.filter(
        organisation=organisation, family_id__in=family_ids, role=PersonRole.ADULT
    ).exclude(email="")
    for adult in guardians.order_by("birth_date", "first_name", "pk"):
        add(adult.family_id, Recipient(email=adult.email, first_name=adult.first_name))
    without = [pk for pk, addresses in found.items() if not addresses]
    if without:
        for pk, email in Family.objects.filter(organisation=organisation, pk__in=without).values_list("pk", "email"):
            add(pk, Recipient(email=email))
    return {pk: list(addresses.values()) for pk, addresses in found.items()}


def family_recipients(family) -> list[Recipient]:
    return recipients_by_family(family.organisation_id, [family.pk])[family.pk]
