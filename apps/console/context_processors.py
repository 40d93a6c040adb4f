from django.conf import settings


def console(request):
    return {"registration_enabled": settings.REGISTRATION_ENABLED, "preloop_url": settings.PRELOOP_URL}
