from django.apps import AppConfig


class AbsencesConfig(AppConfig):
    name = "ribambelle.absences"
    label = "absences"
    verbose_name = "Absences signalées"
