from django.apps import AppConfig


class RegistrationsConfig(AppConfig):
    name = "ribambelle.registrations"
    label = "registrations"
