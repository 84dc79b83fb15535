from django import template

from ribambelle.documents.selectors import published_for_public

register = template.Library()


@register.simple_tag(takes_context=True)
def public_documents(context):
    """The organisation's public documents, for the login page's "Accès aux documents"."""
    organisation = context.get("organisation")
    if organisation is None:
        return []
    return list(published_for_public(organisation)[:30])
