from django.apps import AppConfig


class WaitingroomConfig(AppConfig):
    name = "ribambelle.waitingroom"
    label = "waitingroom"
