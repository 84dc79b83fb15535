from ribambelle.core.counting import count_each


def queue_counts(request):
    """Counts shown next to the back office's queues in the navigation, in one query for all."""
    membership = getattr(request, "membership", None)
    if membership is None or "/gestion/" not in request.path:
        return {}
    from ribambelle.communication.models import ThreadStatus
    from ribambelle.communication.selectors import threads_for_staff
    from ribambelle.documents.selectors import review_queue
    from ribambelle.families.selectors import pending_changes_for_staff
    from ribambelle.registrations.selectors import pending_queue
    from ribambelle.tenancy.roles import Perm, has_permission

    queues = {"registrations": pending_queue(membership)}
    if has_permission(membership, Perm.VIEW_FAMILIES):
        queues["documents"] = review_queue(membership, include_health=has_permission(membership, Perm.VIEW_HEALTH))
    if has_permission(membership, Perm.MANAGE_FAMILIES):
        queues["moderation"] = pending_changes_for_staff(membership)
    if has_permission(membership, Perm.COMMUNICATE):
        queues["messages"] = threads_for_staff(membership, status=ThreadStatus.NEW)
    return {"queue_counts": count_each(queues)}
