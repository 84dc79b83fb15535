from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    """Running Ribambelle in production: readiness (/readyz) and backups."""

    name = "ribambelle.operations"
    verbose_name = _("exploitation")
