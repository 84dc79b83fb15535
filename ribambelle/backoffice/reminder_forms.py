from django import forms

from ribambelle.reminders.models import ReminderSettings


class ReminderSettingsForm(forms.ModelForm):
    class Meta:
        model = ReminderSettings
        fields = ["enabled", "hours_before", "weeks_observed", "min_weeks", "digest_email"]
