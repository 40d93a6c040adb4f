from apps.system.models import Instance


def instance_get() -> Instance:
    """The installation's single Instance row, created on first use."""
    instance = Instance.objects.order_by("id").first()
    return instance or Instance.objects.create()
