from django.urls import path

from . import views

app_name = "portail"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("activation/nouveau-lien/", views.activation_resend, name="activation_resend"),
    path("activation/<str:token>/", views.activate, name="activate"),
    path("historique/", views.history, name="history"),
    path("mon-compte/", views.account, name="account"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("theme.css", views.theme, name="theme"),
    path("logo", views.logo, name="logo"),
    path("icone-<int:size>.png", views.icon, name="icon"),
]
