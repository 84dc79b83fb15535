from django.urls import path

from . import account_views, booking_views, communication_views, document_views, registration_views, views

app_name = "portail"
urlpatterns = [
    path("", views.home, name="home"),
    path("connexion/", views.login_view, name="login"),
    path("deconnexion/", views.logout_view, name="logout"),
    path("activation/nouveau-lien/", views.activation_resend, name="activation_resend"),
    path("activation/<str:token>/", views.activate, name="activate"),
    path("historique/", views.history, name="history"),
    path("inscriptions/", registration_views.registration_list, name="registrations"),
    path("inscriptions/enfant/<int:person_id>/nouvelle/", registration_views.new_registration, name="registration_new"),
    path(
        "inscriptions/enfant/<int:person_id>/activite/<int:activity_id>/",
        registration_views.register,
        name="registration_register",
    ),
    path("inscriptions/<int:registration_id>/", registration_views.registration_detail, name="registration_detail"),
    path("inscriptions/<int:registration_id>/retirer/", registration_views.withdraw, name="registration_withdraw"),
    path("reservations/", booking_views.booking_children, name="bookings"),
    path("reservations/enfant/<int:person_id>/", booking_views.planning, name="bookings_child"),
    path(
        "reservations/enfant/<int:person_id>/liste-attente/",
        booking_views.join_waiting_list,
        name="bookings_join_waiting_list",
    ),
    path("reservations/enfant/<int:person_id>/semaine-type/", booking_views.typical_week, name="bookings_typical_week"),
    path("reservations/place/<int:booking_id>/accepter/", booking_views.accept_offer, name="bookings_accept_offer"),
    path("reservations/agenda/", booking_views.calendar_settings, name="calendar_settings"),
    path("agenda/<str:token>.ics", booking_views.calendar_feed, name="calendar_feed"),
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
