from django import template

register = template.Library()


@register.simple_tag(takes_context=True)
def pending_changes_count(context) -> int:
    """Changes waiting in the moderation queue, for the back-office menu badge."""
    request = context.get("request")
    membership = getattr(request, "membership", None)
    if membership is None:
        return 0
    from ribambelle.families.selectors import pending_count

    return pending_count(membership)
