from django.apps import AppConfig


class StatsConfig(AppConfig):
    """Statistics for directors, finance and elected officials: aggregate selectors and charts
    ("fonctions transverses": reads the whole domain, writes nothing)."""

    name = "ribambelle.stats"
    label = "stats"
