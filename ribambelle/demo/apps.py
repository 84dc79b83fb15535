from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ribambelle.demo"
    label = "demo"
