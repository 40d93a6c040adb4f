from django.conf import settings


def console(request):
    return {"registration_enabled": settings.REGISTRATION_ENABLED, "preloop_url": settings.PRELOOP_URL}


def approvals(request):
    """The navigation's count of requests waiting for this user's decision (one query, signed-in pages only)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from apps.approvals.selectors import approval_awaiting_count

    return {"approvals_awaiting": approval_awaiting_count(user=user)}
