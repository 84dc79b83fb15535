"""{% load wording %}: {{ child.first_name|de }} → "d'Emma", {{ organisation|de_org }} → "de la
Communauté de communes…", {{ child|inscrit }} → "inscrite". See ribambelle.core.wording."""

from django import template

from ribambelle.core import wording

register = template.Library()


@register.filter
def de(name) -> str:
    return wording.of(name)


@register.filter
def de_org(organisation) -> str:
    return wording.of_organisation(organisation)


@register.filter
def avec_article(organisation) -> str:
    return wording.with_article(organisation)


@register.filter
def inscrit(person) -> str:
    return wording.registered(person)
