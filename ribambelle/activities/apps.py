from django.apps import AppConfig


class ActivitiesConfig(AppConfig):
    name = "ribambelle.activities"
    label = "activities"
