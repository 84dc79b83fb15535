"""URLs of the crèche (PSU) pages, appended to the back office's (backoffice/urls.py)."""

from django.urls import path

from . import creche_views

urlpatterns = [
    path("creche/baremes/", creche_views.scale_list, name="creche_scales"),
    path("creche/baremes/nouveau/", creche_views.scale_create, name="creche_scale_create"),
    path("creche/baremes/<int:psuscale_id>/", creche_views.scale_edit, name="creche_scale_edit"),
    path("creche/contrats/", creche_views.contract_list, name="creche_contracts"),
    path("creche/contrats/nouveau/", creche_views.contract_create, name="creche_contract_create"),
    path("creche/contrats/<int:contract_id>/", creche_views.contract_detail, name="creche_contract"),
    path("creche/contrats/<int:contract_id>/avenant/", creche_views.contract_amend, name="creche_contract_amend"),
    path("creche/contrats/<int:contract_id>/pdf/", creche_views.contract_file, name="creche_contract_pdf"),
    path("creche/activites/<int:activity_id>/journee/", creche_views.day_sheet, name="creche_day_sheet"),
    path("creche/absences/", creche_views.absence_queue, name="creche_absences"),
    path(
        "creche/absences/<int:deductibleabsence_id>/decision/",
        creche_views.absence_decide,
        name="creche_absence_decide",
    ),
    path(
        "creche/absences/<int:deductibleabsence_id>/justificatif/",
        creche_views.absence_proof,
        name="creche_absence_proof",
    ),
    path("creche/bilan/", creche_views.figures, name="creche_figures"),
    path("creche/bilan/structures/<int:structure_id>/filoue/", creche_views.filoue, name="creche_filoue"),
]
