"""The family's bookings as an iCalendar feed (RFC 5545), for phone calendars."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from .selectors import upcoming_for_family


def family_calendar(family) -> bytes:
    tz = ZoneInfo(family.organisation.time_zone)
    calendar = Calendar()
    calendar.add("prodid", "-//Ribambelle//Espace Famille//FR")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Réservations – %(organisation)s") % {"organisation": family.organisation.name})
    for booking in upcoming_for_family(family):
        unit = booking.opening.unit
        event = Event()
        event.add("uid", f"booking-{booking.pk}@ribambelle")
        event.add("summary", f"{booking.child.first_name} – {booking.activity.name} ({unit.name})")
        if unit.start_time and unit.end_time:
            event.add("dtstart", datetime.combine(booking.date, unit.start_time, tzinfo=tz))
            event.add("dtend", datetime.combine(booking.date, unit.end_time, tzinfo=tz))
        else:
            event.add("dtstart", booking.date)
            event.add("dtend", booking.date + timedelta(days=1))
        event.add("location", booking.activity.structure.name)
        event.add("dtstamp", booking.updated_at)
        calendar.add_component(event)
    return calendar.to_ical()
