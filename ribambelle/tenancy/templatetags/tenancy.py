from django import template
from django.urls import reverse

from ribambelle.tenancy.roles import has_permission

register = template.Library()


@register.simple_tag(takes_context=True)
def orgurl(context, name, *args, **kwargs):
    """{% orgurl 'backoffice:structure_edit' structure.pk %}: a URL inside the current organisation."""
    organisation = context["request"].organisation
    return (
        reverse(name, kwargs={"org_slug": organisation.slug, **kwargs}, args=None)
        if not args
        else reverse(name, args=[organisation.slug, *args])
    )


@register.filter
def can(membership, perm):
    """{% if membership|can:"manage_staff" %}"""
    return has_permission(membership, perm)
