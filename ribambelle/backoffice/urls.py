from django.urls import path

from . import account_views, activity_views, booking_views, communication_views, family_account_views, views

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
    path("activites/", activity_views.activity_list, name="activity_list"),
    path("activites/nouvelle/", activity_views.activity_create, name="activity_create"),
    path("activites/<int:activity_id>/", activity_views.activity_edit, name="activity_edit"),
    path("activites/<int:activity_id>/dupliquer/", activity_views.activity_duplicate, name="activity_duplicate"),
    path("activites/<int:activity_id>/calendrier/", activity_views.calendar, name="activity_calendar"),
    path("activites/<int:activity_id>/groupes/nouveau/", activity_views.group_create, name="group_create"),
    path("groupes/<int:group_id>/", activity_views.group_edit, name="group_edit"),
    path("activites/<int:activity_id>/unites/nouvelle/", activity_views.unit_create, name="unit_create"),
    path("unites/<int:unit_id>/", activity_views.unit_edit, name="unit_edit"),
    path("activites/<int:activity_id>/inscrits/", activity_views.activity_registrations, name="activity_registrations"),
    path(
        "activites/<int:activity_id>/inscrire/",
        activity_views.registration_staff_create,
        name="registration_staff_create",
    ),
    path("activites/<int:activity_id>/occupation/", booking_views.occupancy, name="occupancy"),
    path("activites/<int:activity_id>/presences/", booking_views.attendance, name="attendance"),
    path("activites/<int:activity_id>/pointage/", booking_views.roll_call, name="roll_call"),
    path("reservations/<int:booking_id>/presence/", booking_views.mark, name="mark_attendance"),
    path(
        "familles/<int:family_id>/reservations/<int:person_id>/", booking_views.family_planning, name="family_planning"
    ),
    path("inscriptions/a-valider/", activity_views.registration_queue, name="registration_queue"),
    path("inscriptions/accepter/", activity_views.registration_bulk_accept, name="registration_bulk_accept"),
    path(
        "inscriptions/<int:registration_id>/decision/", activity_views.registration_decide, name="registration_decide"
    ),
    path(
        "inscriptions/<int:registration_id>/modifier/", activity_views.registration_change, name="registration_change"
    ),
    path("comptes-familles/", family_account_views.family_accounts, name="family_accounts"),
    path("familles/<int:family_id>/historique/", family_account_views.family_history, name="family_history"),
    path("messages/", communication_views.inbox, name="inbox"),
    path("messages/<int:messagethread_id>/", communication_views.message_thread, name="message_thread"),
    path(
        "messages/<int:messagethread_id>/statut/",
        communication_views.message_thread_status,
        name="message_thread_status",
    ),
    path("messages/piece-jointe/<int:message_id>/", communication_views.message_attachment, name="message_attachment"),
    path("actualites/", communication_views.publications, name="publications"),
    path("actualites/nouvelle/", communication_views.news_create, name="news_create"),
    path("actualites/<int:newsitem_id>/", communication_views.news_edit, name="news_edit"),
    path("actualites/<int:newsitem_id>/supprimer/", communication_views.news_delete, name="news_delete"),
    path("bandeaux/nouveau/", communication_views.banner_create, name="banner_create"),
    path("bandeaux/<int:banner_id>/", communication_views.banner_edit, name="banner_edit"),
    path("bandeaux/<int:banner_id>/supprimer/", communication_views.banner_delete, name="banner_delete"),
    path("envois-groupes/", communication_views.mailing_list, name="mailing_list"),
    path("envois-groupes/nouveau/", communication_views.mailing_new, name="mailing_new"),
    path("envois-groupes/<int:massmailing_id>/", communication_views.mailing_detail, name="mailing_detail"),
    path("textes-des-e-mails/", communication_views.email_templates, name="email_templates"),
    path("textes-des-e-mails/<str:template>/", communication_views.email_template_edit, name="email_template_edit"),
    path(
        "structures/<int:structure_id>/familles/",
        communication_views.structure_families,
        name="structure_families",
    ),
]
