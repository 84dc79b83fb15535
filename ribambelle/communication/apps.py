from django.apps import AppConfig


class CommunicationConfig(AppConfig):
    name = "ribambelle.communication"
    label = "communication"
