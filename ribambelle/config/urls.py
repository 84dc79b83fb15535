from django.conf import settings
from django.urls import include, path
from django.views.i18n import set_language

from ribambelle.core import views as core_views
from ribambelle.operations import views as operations_views

urlpatterns = [
    path("", core_views.organisation_list, name="organisation_list"),
    path("healthz", core_views.healthz, name="healthz"),
    path("readyz", operations_views.readyz, name="readyz"),
    path("accessibilite/", core_views.accessibility, name="accessibility"),
    path("robots.txt", core_views.robots),
    path("verification-robot/defi", core_views.robot_challenge, name="robot_challenge"),
    path("langue/", set_language, name="set_language"),  # the switcher at the bottom of every page
]
if settings.DEBUG:
    urlpatterns.append(path("dev/", include("ribambelle.communication.dev_urls")))
urlpatterns += [
    path("<slug:org_slug>/gestion/", include("ribambelle.backoffice.urls")),
    path("<slug:org_slug>/", include("ribambelle.portail.urls")),
]

handler403 = "ribambelle.core.errors.permission_denied"
handler404 = "ribambelle.core.errors.page_not_found"
handler500 = "ribambelle.core.errors.server_error"
