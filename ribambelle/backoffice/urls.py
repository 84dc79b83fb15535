from django.urls import path

from . import account_views, document_views, family_account_views, views

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("connexion/", account_views.login_view, name="login"),
    path("connexion/code/", account_views.login_code, name="login_code"),
    path("deconnexion/", account_views.logout_view, name="logout"),
    path("securite/", account_views.security, name="security"),
    path("organisation/", views.organisation_settings, name="organisation"),
    path("qr-code/", views.qr_code, name="qr_code"),
    path("structures/", views.structure_list, name="structure_list"),
    path("structures/nouvelle/", views.structure_create, name="structure_create"),
    path("structures/<int:structure_id>/", views.structure_edit, name="structure_edit"),
    path("secteurs/", views.sector_list, name="sector_list"),
    path("secteurs/nouveau/", views.sector_create, name="sector_create"),
    path("secteurs/<int:sector_id>/", views.sector_edit, name="sector_edit"),
    path("equipe/", views.staff_list, name="staff_list"),
    path("equipe/inviter/", views.staff_invite, name="staff_invite"),
    path("equipe/<int:membership_id>/", views.staff_edit, name="staff_edit"),
    path("courriels/", views.outbox, name="outbox"),
    path("comptes-familles/", family_account_views.family_accounts, name="family_accounts"),
    path("familles/<int:family_id>/historique/", family_account_views.family_history, name="family_history"),
    path("documents/", document_views.queue, name="documents_queue"),
    path("documents/<int:submitteddocument_id>/", document_views.review, name="document_review"),
    path("documents/fichier/<int:submittedpage_id>/", document_views.document_file, name="document_file"),
    path("familles/<int:family_id>/documents/", document_views.family_documents, name="family_documents"),
    path("types-de-documents/", document_views.type_list, name="document_type_list"),
    path("types-de-documents/nouveau/", document_views.type_create, name="document_type_create"),
    path("types-de-documents/<int:documenttype_id>/", document_views.type_edit, name="document_type_edit"),
    path(
        "types-de-documents/<int:documenttype_id>/formulaire/",
        document_views.type_blank_form,
        name="document_type_blank_form",
    ),
    path("documentation/", document_views.published_list, name="published_list"),
    path("documentation/nouveau/", document_views.published_create, name="published_create"),
    path("documentation/<int:publisheddocument_id>/", document_views.published_edit, name="published_edit"),
    path(
        "documentation/<int:publisheddocument_id>/supprimer/",
        document_views.published_delete,
        name="published_delete",
    ),
]
