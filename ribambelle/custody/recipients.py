"""Who receives a household's e-mails (its invoices, reminders, receipts): the same rule as
families.recipients, within the household. The activated logins attached to it, then the
e-mail of each responsible adult living there; the household's own e-mail only when it has
neither. Never the other parent's addresses."""

from ribambelle.families.recipients import Recipient

from .models import Household, HouseholdAdult, HouseholdLogin


def recipients_by_household(organisation, household_ids) -> dict[int, list[Recipient]]:
    household_ids = list(household_ids)
    found: dict[int, dict[str, Recipient]] = {pk: {} for pk in household_ids}
    if not household_ids:
        return {}

    def add(household_id: int, recipient: Recipient) -> None:
        key = recipient.email.strip().lower()
        if key and key not in found[household_id]:
            found[household_id][key] = recipient

    logins = (
        HouseholdLogin.objects.filter(
            organisation=organisation,
            household_id__in=household_ids,
            user__is_active=True,
            user__activated_at__isnull=False,
        )
        .select_related("user")
        .order_by("user__email", "pk")
    )
    for link in logins:
        add(link.household_id, Recipient(email=link.user.email, first_name=link.user.first_name, user=link.user))
    adults = (
        HouseholdAdult.objects.filter(organisation=organisation, household_id__in=household_ids)
        .exclude(person__email="")
        .select_related("person")
        .order_by("person__birth_date", "person__first_name", "pk")
    )
    for link in adults:
        add(link.household_id, Recipient(email=link.person.email, first_name=link.person.first_name))
    without = [pk for pk, addresses in found.items() if not addresses]
    if without:
        for pk, email in Household.objects.filter(organisation=organisation, pk__in=without).values_list("pk", "email"):
            add(pk, Recipient(email=email))
    return {pk: list(addresses.values()) for pk, addresses in found.items()}
