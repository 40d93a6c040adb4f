import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from preloop.crypto import EncryptedTextField, mask


class TrackerType(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    JIRA = "jira", "Jira"


DEFAULT_TRACKER_URLS = {
    TrackerType.GITHUB: "https://api.github.com",
    TrackerType.GITLAB: "https://gitlab.com",
}


class Tracker(models.Model):
    """A connection to one issue tracker account. Its token is encrypted at rest, never returned."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trackers")
    name = models.CharField(max_length=200)
    tracker_type = models.CharField(max_length=20, choices=TrackerType.choices)
    url = models.URLField(max_length=500, blank=True, help_text="API base URL; defaults per tracker type.")
    username = models.CharField(max_length=200, blank=True, help_text="Jira: the account email for API tokens.")
    api_token = EncryptedTextField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "created_at"]
        constraints = [models.UniqueConstraint(fields=["owner", "name"], name="trackers_tracker_owner_name_unique")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_tracker_type_display()})"

    @property
    def api_token_hint(self) -> str:
        return mask(self.api_token)

    def clean(self) -> None:
        if not self.url:
            default = DEFAULT_TRACKER_URLS.get(self.tracker_type)
            if default is None:
                raise ValidationError({"url": ["Jira needs its base URL, e.g. https://acme.atlassian.net."]})
            self.url = default
        self.url = self.url.rstrip("/")
        if not self.url.startswith("https://") and not settings.ALLOW_INSECURE_TRACKER_URLS:
            raise ValidationError({"url": ["Use an https:// URL; tokens must not travel in clear text."]})
        if not (self.api_token or "").strip():
            raise ValidationError({"api_token": ["This field may not be blank."]})


class TrackerContainer(models.Model):
    """What organizations and projects share: the tracker's own identifier and local settings."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    identifier = models.CharField(max_length=300, help_text="The tracker's own id, path or key, e.g. `acme`.")
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Organization(TrackerContainer):
    """A GitHub organization/user, GitLab group or Jira site, as the tracker names it."""

    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="organizations")

    class Meta(TrackerContainer.Meta):
        constraints = [
            models.UniqueConstraint(fields=["tracker", "identifier"], name="trackers_org_tracker_identifier_unique")
        ]


class Project(TrackerContainer):
    """A repository (GitHub), project (GitLab) or project key (Jira)."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")

    class Meta(TrackerContainer.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "identifier"], name="trackers_project_org_identifier_unique"
            )
        ]
