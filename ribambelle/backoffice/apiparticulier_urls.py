"""URLs of the quotient familial read from the CAF / MSA (API Particulier), appended to the back
office's (backoffice/urls.py)."""

from django.urls import path

from . import apiparticulier_views as views

urlpatterns = [
    path("familles/<int:family_id>/quotient-caf/", views.family_quotient, name="qf_family"),
    path(
        "familles/<int:family_id>/quotient-caf/etat-civil/<int:person_id>/",
        views.family_identity,
        name="qf_identity",
    ),
    path("familles/<int:family_id>/quotient-caf/retrait/", views.withdraw_consent, name="qf_withdraw"),
    path("quotient-caf/apercu/<int:quotientfetch_id>/", views.preview, name="qf_preview"),
    path("quotient-caf/lot/", views.bulk, name="qf_bulk"),
    path("quotient-caf/lot/<uuid:batch>/", views.bulk_preview, name="qf_bulk_preview"),
    path("reglages/api-particulier/", views.settings, name="apiparticulier_settings"),
]
