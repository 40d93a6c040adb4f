import uuid

from django.db import models


class Instance(models.Model):
    """This installation's identity: one row, shared by every process of the deployment."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    latest_version = models.CharField(max_length=50, blank=True)
    version_checked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return str(self.uuid)
