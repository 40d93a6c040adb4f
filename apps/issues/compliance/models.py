"""The per-project definition of ready (imported by `apps.issues.models`, so it belongs to the issues app)."""

import uuid

from django.core.exceptions import ValidationError
from django.db import models

from apps.trackers.models import Project


class DefinitionOfReady(models.Model):
    """How one project weighs the compliance criteria; projects without one use the defaults."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="definition_of_ready")
    criteria = models.JSONField(
        default=list,
        blank=True,
        help_text='[{"id": "labels", "weight": 10, "enabled": true, "applies_to_types": ["bug"]}]; '
        "fields left out, and criteria not listed, keep their defaults.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "definition of ready"
        verbose_name_plural = "definitions of ready"

    def __str__(self) -> str:
        return f"Definition of ready of {self.project}"

    def clean(self) -> None:
        from apps.issues.compliance.definition import criteria_errors

        errors = criteria_errors(self.criteria)
        if errors:
            # The admin form has one `criteria` field: the item paths go into the messages.
            raise ValidationError({"criteria": [f"{path}: {message}" for path, messages in errors.items()
                                                for message in messages]})  # fmt: skip
