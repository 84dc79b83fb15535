"""Development only (mounted when DEBUG): read the e-mails the app has sent."""

from django.urls import path

from . import dev_views

app_name = "dev"
urlpatterns = [
    path("courriels/", dev_views.mailbox, name="mailbox"),
    path("courriels/<int:email_id>/", dev_views.message, name="message"),
]
