from django.urls import path

from . import account_views, document_views, views

app_name = "portail"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("activation/nouveau-lien/", views.activation_resend, name="activation_resend"),
    path("activation/<str:token>/", views.activate, name="activate"),
    path("historique/", views.history, name="history"),
    path("consentement/", account_views.consent, name="consent"),
    path("mot-de-passe-oublie/", account_views.password_forgot, name="password_forgot"),
    path("mot-de-passe/<str:token>/", account_views.password_reset, name="password_reset"),
    path("mon-compte/", account_views.account, name="account"),
    path("mon-compte/consentement/<str:kind>/retirer/", account_views.consent_withdraw, name="consent_withdraw"),
    path("mon-compte/e-mail/<str:token>/", account_views.email_confirm, name="email_confirm"),
    path("mes-documents/", document_views.documents, name="documents"),
    path("mes-documents/famille/ajouter/", document_views.document_add_family, name="document_add_family"),
    path(
        "mes-documents/membre/<int:person_id>/ajouter/", document_views.document_add_person, name="document_add_person"
    ),
    path("mes-documents/fichier/<int:submittedpage_id>/", document_views.document_file, name="document_file"),
    path("mes-documents/formulaire/<int:documenttype_id>/", document_views.blank_form, name="document_blank_form"),
    path("documentation/", document_views.documentation, name="documentation"),
    path("documentation/<int:publisheddocument_id>/", document_views.published_file, name="published_file"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("theme.css", views.theme, name="theme"),
    path("logo", views.logo, name="logo"),
    path("icone-<int:size>.png", views.icon, name="icon"),
]
