"""The portal's "Signaler une absence" entry points: the dashboard's next days and the planning's
booked days of the period shown (one query each)."""

from django import template

from ribambelle.absences import selectors

register = template.Library()


@register.inclusion_tag("portail/absences/_upcoming.html", takes_context=True)
def upcoming_days(context):
    request = context["request"]
    family = request.user.family
    return {
        "request": request,
        "days": selectors.upcoming_days_for_family(family),
        "awaiting": selectors.reports_awaiting_certificate(family),
    }


@register.inclusion_tag("portail/absences/_planning_days.html", takes_context=True)
def planning_absences(context, child, start, end):
    request = context["request"]
    return {"request": request, "days": selectors.bookable_days_shown(child, start, end), "child": child}
