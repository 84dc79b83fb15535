from django.urls import path

from . import views

app_name = "backoffice"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
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
]
