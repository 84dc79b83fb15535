from django import template
from django.utils import timezone

from ribambelle.waitingroom import selectors

register = template.Library()


@register.inclusion_tag("portail/waitingroom/_announce.html", takes_context=True)
def waiting_rooms(context):
    """`{% waiting_rooms %}`: the fair waiting rooms a family should know of, and the way in
    (on the dashboard and the booking pages). No query when no room is near (the organisation's
    span of rooms comes with the login)."""
    request, now = context["request"], timezone.now()
    return {"rooms": selectors.rooms_to_announce(request.organisation, now), "now": now, "request": request}
