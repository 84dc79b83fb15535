"""Staff roles and what each may do.

One table keeps the whole policy in view; views ask `has_permission(membership, perm)`
rather than testing role names, so a new role or a changed duty is one line here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMINISTRATOR = "administrator", _("Administrateur")
    DIRECTOR = "director", _("Directeur / directrice")
    AGENT = "agent", _("Animateur / agent")
    FINANCE = "finance", _("Finances")


class Perm:
    MANAGE_ORGANISATION = "manage_organisation"  # branding, legal texts, settings
    MANAGE_STAFF = "manage_staff"
    MANAGE_STRUCTURES = "manage_structures"
    VIEW_FAMILIES = "view_families"
    MANAGE_FAMILIES = "manage_families"
    VIEW_HEALTH = "view_health"
    MANAGE_ACTIVITIES = "manage_activities"
    MARK_ATTENDANCE = "mark_attendance"
    MANAGE_BILLING = "manage_billing"
    COMMUNICATE = "communicate"
    VIEW_OUTBOX = "view_outbox"
    VIEW_AUDIT = "view_audit"  # the whole organisation's trail, health consultations included
    VIEW_STATISTICS = "view_statistics"  # charts and the elected officials' summary (within reach)
    CAF_REPORT = "caf_report"  # the CAF activity report: figures, exports, freezing


ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.ADMINISTRATOR: frozenset(
        {
            Perm.MANAGE_ORGANISATION,
            Perm.MANAGE_STAFF,
            Perm.MANAGE_STRUCTURES,
            Perm.VIEW_FAMILIES,
            Perm.MANAGE_FAMILIES,
            Perm.VIEW_HEALTH,
            Perm.MANAGE_ACTIVITIES,
            Perm.MARK_ATTENDANCE,
            Perm.MANAGE_BILLING,
            Perm.COMMUNICATE,
            Perm.VIEW_OUTBOX,
            Perm.VIEW_AUDIT,
            Perm.VIEW_STATISTICS,
            Perm.CAF_REPORT,
        }
    ),
    Role.DIRECTOR: frozenset(
        {
            Perm.VIEW_STATISTICS,
            Perm.VIEW_FAMILIES,
            Perm.MANAGE_FAMILIES,
            Perm.VIEW_HEALTH,
            Perm.MANAGE_ACTIVITIES,
            Perm.MARK_ATTENDANCE,
            Perm.COMMUNICATE,
            Perm.VIEW_OUTBOX,
            Perm.CAF_REPORT,
        }
    ),
    # Animateurs need health data (allergies, PAI) to care for the children in front of them.
    Role.AGENT: frozenset({Perm.VIEW_FAMILIES, Perm.VIEW_HEALTH, Perm.MARK_ATTENDANCE}),
    Role.FINANCE: frozenset({Perm.VIEW_FAMILIES, Perm.MANAGE_BILLING, Perm.VIEW_STATISTICS, Perm.CAF_REPORT}),
}


def has_permission(membership, perm: str) -> bool:
    return membership is not None and perm in ROLE_PERMISSIONS.get(membership.role, frozenset())


class Area:
    """What a staff member's structure list narrows (see `tenancy.access.families_in_reach`)."""

    FAMILIES = "families"  # family files, people, health, documents, messages, bookings made for a family
    BILLING = "billing"  # invoices, payments, SEPA mandates, invoice runs


# The one place where a role sees across its structure list, and why. Everyone else with a
# list sees only the families of their structures; without a list, the whole organisation.
ACROSS_STRUCTURES: dict[str, frozenset[str]] = {
    # An invoice covers a family's whole period, every structure at once, and the finance
    # office (the "régie") collects for the whole organisation: billing cannot be cut by structure.
    Role.FINANCE: frozenset({Area.BILLING}),
}


def sees_across_structures(membership, area: str) -> bool:
    return area in ACROSS_STRUCTURES.get(membership.role, frozenset())
