"""`{% franceconnect_button %}` on the family login page, `{% franceconnect_account %}` in "Mon compte":
each shows nothing when the organisation has not enabled FranceConnect (one query)."""

from django import template

from ribambelle.franceconnect import selectors

register = template.Library()


@register.inclusion_tag("portail/franceconnect/button.html", takes_context=True)
def franceconnect_button(context):
    organisation = context.get("organisation")
    enabled = organisation is not None and selectors.enabled_settings(organisation) is not None
    return {"enabled": enabled, "next": context.get("next", ""), "request": context.get("request")}


@register.inclusion_tag("portail/franceconnect/account.html", takes_context=True)
def franceconnect_account(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    organisation = context.get("organisation")
    if user is None or not user.is_authenticated or organisation is None:
        return {"enabled": False}
    identities = selectors.identities_for_user(user)
    enabled = bool(identities) or selectors.enabled_settings(organisation) is not None
    return {"enabled": enabled, "identities": identities, "request": request, "organisation": organisation}
