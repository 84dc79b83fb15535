from django.urls import path

from . import account_views, family_account_views, views

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
]
