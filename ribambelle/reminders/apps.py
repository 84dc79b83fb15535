from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "ribambelle.reminders"
    label = "reminders"
