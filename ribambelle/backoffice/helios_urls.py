"""URLs of the Hélios (PES V2) pages, appended to the back office's (backoffice/urls.py)."""

from django.urls import path

from . import helios_views

urlpatterns = [
    path("facturation/helios/", helios_views.settings_list, name="helios_settings"),
    path("facturation/helios/nouveau/", helios_views.settings_new, name="helios_settings_new"),
    path("facturation/helios/<int:heliossettings_id>/", helios_views.settings_edit, name="helios_settings_edit"),
    path("facturation/emissions/<int:invoicerun_id>/pes/", helios_views.pes_preview, name="helios_pes"),
    path("facturation/emissions/<int:invoicerun_id>/pes/generer/", helios_views.pes_generate, name="helios_generate"),
    path("facturation/pes/<int:pesroll_id>/fichier/", helios_views.pes_download, name="helios_download"),
    path("facturation/pes/<int:pesroll_id>/annuler/", helios_views.pes_cancel, name="helios_cancel"),
]
