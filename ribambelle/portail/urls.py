from django.urls import path

from . import account_views, communication_views, views

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
    path("contact/", communication_views.contacts, name="contacts"),
    path("messages/", communication_views.message_list, name="messages"),
    path("messages/nouveau/", communication_views.message_new, name="message_new"),
    path("messages/preferences/", communication_views.email_preference, name="email_preference"),
    path("messages/<int:messagethread_id>/", communication_views.message_thread, name="message_thread"),
    path("messages/piece-jointe/<int:message_id>/", communication_views.message_attachment, name="message_attachment"),
    path("mentions-legales/", views.legal_notice, name="legal_notice"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("theme.css", views.theme, name="theme"),
    path("logo", views.logo, name="logo"),
    path("icone-<int:size>.png", views.icon, name="icon"),
]
