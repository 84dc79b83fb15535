def queue_counts(request):
    """Counts shown next to the back office's queues in the navigation (one query each)."""
    membership = getattr(request, "membership", None)
    if membership is None or "/gestion/" not in request.path:
        return {}
    from ribambelle.communication.models import ThreadStatus
    from ribambelle.communication.selectors import threads_for_staff
    from ribambelle.documents.selectors import review_queue
    from ribambelle.registrations.selectors import pending_queue
    from ribambelle.tenancy.roles import Perm, has_permission

    counts = {"registrations": pending_queue(membership).count()}
    if has_permission(membership, Perm.VIEW_FAMILIES):
        counts["documents"] = review_queue(
            membership, include_health=has_permission(membership, Perm.VIEW_HEALTH)
        ).count()
    if has_permission(membership, Perm.MANAGE_FAMILIES):
        from ribambelle.families.selectors import pending_count

        counts["moderation"] = pending_count(membership)
    if has_permission(membership, Perm.COMMUNICATE):
        counts["messages"] = threads_for_staff(membership, status=ThreadStatus.NEW).count()
    return {"queue_counts": counts}
