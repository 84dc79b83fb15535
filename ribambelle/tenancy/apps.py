from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "ribambelle.tenancy"
    label = "tenancy"
