from django.urls import path

from . import account_views, family_views, views

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
    path("ma-famille/", family_views.family, name="family"),
    path("ma-famille/coordonnees/", family_views.family_edit, name="family_edit"),
    path("ma-famille/enfants/ajouter/", family_views.child_add, name="child_add"),
    path("ma-famille/membres/<int:person_id>/", family_views.person_edit, name="person_edit"),
    path("ma-famille/enfants/<int:person_id>/sante/", family_views.child_health, name="child_health"),
    path(
        "ma-famille/enfants/<int:person_id>/personnes-autorisees/ajouter/",
        family_views.authorised_add,
        name="authorised_add",
    ),
    path(
        "ma-famille/personnes-autorisees/<int:authorisedperson_id>/",
        family_views.authorised_edit,
        name="authorised_edit",
    ),
    path(
        "ma-famille/personnes-autorisees/<int:authorisedperson_id>/retirer/",
        family_views.authorised_remove,
        name="authorised_remove",
    ),
    path(
        "ma-famille/vaccinations/<int:vaccination_id>/supprimer/",
        family_views.vaccination_delete,
        name="vaccination_delete",
    ),
    path("mon-compte/mes-donnees/", family_views.family_data_export, name="family_export"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("theme.css", views.theme, name="theme"),
    path("logo", views.logo, name="logo"),
    path("icone-<int:size>.png", views.icon, name="icon"),
]
