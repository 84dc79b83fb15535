from django.urls import reverse
from django.utils.translation import gettext_lazy as _

# The seed's tabs, in the seed's order. Each issue adds its tab here once its page
# exists: a tab that leads nowhere is never shown.
PORTAL_TABS = [
    ("dashboard", _("Tableau de bord"), "portail:home"),
    ("family", _("Ma famille"), "portail:family"),
    ("documents", _("Mes documents"), "portail:documents"),
    ("registrations", _("Mes inscriptions"), "portail:registrations"),
    ("bookings", _("Mes réservations"), "portail:bookings"),
    ("invoices", _("Mes factures"), "portail:invoices"),
    ("documentation", _("Documentation"), "portail:documentation"),
    ("messages", _("Mes messages"), "portail:messages"),
    ("contact", _("Contact"), "portail:contacts"),
    ("history", _("Historique de mes actions"), "portail:history"),
    ("account", _("Mon compte"), "portail:account"),
]


def portal_tabs(request):
    organisation = getattr(request, "organisation", None)
    user = getattr(request, "user", None)
    if organisation is None or user is None or not user.is_authenticated or not user.is_family:
        return {}
    tabs = []
    for key, label, url_name in PORTAL_TABS:
        tabs.append({"key": key, "label": label, "url": reverse(url_name, kwargs={"org_slug": organisation.slug})})
    return {"portal_tabs": tabs}
