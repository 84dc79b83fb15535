"""Reminders before a booking deadline, the staff's side: the organisation's setting and who was reminded."""

from django.shortcuts import redirect
from django.utils.translation import gettext as _

from ribambelle.core.formpage import form_page
from ribambelle.reminders import selectors, services
from ribambelle.tenancy.access import staff_required
from ribambelle.tenancy.roles import Perm

from .reminder_forms import ReminderSettingsForm


@staff_required(Perm.MANAGE_ORGANISATION)
def reminder_settings(request):
    current = selectors.reminder_settings(request.organisation)
    form = ReminderSettingsForm(request.POST or None, instance=current)
    return form_page(
        request,
        form,
        save=lambda form: services.save_reminder_settings(
            organisation=request.organisation,
            values={name: form.cleaned_data[name] for name in form.Meta.fields},
            acting_user=request.user,
        ),
        success=_("Les réglages des rappels sont enregistrés."),
        redirect_to=redirect("backoffice:reminder_settings", org_slug=request.organisation.slug),
        template="backoffice/reminders/settings.html",
        context={"nav": "organisation", "sent": selectors.recent_reminders(request.organisation)},
        refresh=current if current.pk else None,
    )
