def queue_counts(request):
    """Counts shown next to the back office's queues in the navigation (one query each)."""
    membership = getattr(request, "membership", None)
    if membership is None or "/gestion/" not in request.path:
        return {}
    from ribambelle.registrations.selectors import pending_queue

    return {"queue_counts": {"registrations": pending_queue(membership).count()}}
