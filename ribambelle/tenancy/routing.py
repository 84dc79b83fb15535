from django.urls import reverse


def org_reverse(organisation, name: str, **kwargs) -> str:
    return reverse(name, kwargs={"org_slug": organisation.slug, **kwargs})
