from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkerHeartbeat(models.Model):
    """A background process saying it is alive (`manage.py worker`, `manage.py periodic`).

    Platform-wide, not an organisation's row: one line per process, refreshed every few
    seconds; `/readyz` and the monitoring read how long ago each kind was last seen.
    """

    worker_id = models.CharField(_("processus"), max_length=64, unique=True)
    kind = models.CharField(_("type"), max_length=20)
    hostname = models.CharField(_("machine"), max_length=200, blank=True)
    pid = models.PositiveIntegerField(_("pid"), null=True, blank=True)
    started_at = models.DateTimeField(_("démarré le"))
    seen_at = models.DateTimeField(_("vu le"), db_index=True)
    tasks_run = models.PositiveIntegerField(_("tâches exécutées"), default=0)

    class Meta:
        verbose_name = _("signe de vie d'un processus")

    def __str__(self) -> str:
        return f"{self.kind} {self.worker_id}"
