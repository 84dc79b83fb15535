from django.apps import AppConfig


class DocumentsConfig(AppConfig):
    name = "ribambelle.documents"
    label = "documents"
    verbose_name = "Documents"
