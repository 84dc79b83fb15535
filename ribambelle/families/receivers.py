from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from .models import Family, Person


def erase_health_on_withdrawal(sender, family, **kwargs):
    """A family that withdraws its health consent has its children's health data erased."""
    from .services import erase_health_data

    erase_health_data(family=family)


# Family.search_text follows every save, whoever makes it (services, demo data, other
# apps, factories). Bulk writes (CSV import, bench) compute it themselves.
@receiver(post_save, sender=Family, dispatch_uid="family_search_text")
def family_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or (update_fields is not None and set(update_fields) <= {"search_text", "updated_at"}):
        return
    from .services import refresh_search_text

    refresh_search_text(instance)


@receiver(post_save, sender=Person, dispatch_uid="person_search_text")
@receiver(post_delete, sender=Person, dispatch_uid="person_deleted_search_text")
def person_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    from .services import refresh_search_text

    family = Family.objects.filter(pk=instance.family_id).first()
    if family is not None:
        refresh_search_text(family)
