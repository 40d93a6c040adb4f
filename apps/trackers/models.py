import secrets
import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from preloop.crypto import EncryptedTextField, mask
from preloop.http import OutboundUrlRefused, outbound_url_check

# Calibrated for the local MiniLM model on benchmarks/data (known duplicate pairs): at 0.70 about a third of
# true duplicates and 6 of 80,000 other pairs score above; at 0.60 three quarters of them and 67 others.
# Other embedding models spread similarities differently: tune per project.
DEFAULT_DUPLICATE_THRESHOLD = 0.70
DEFAULT_OVERLAP_THRESHOLD = 0.60


class TrackerType(models.TextChoices):
    GITHUB = "github", "GitHub"
    GITLAB = "gitlab", "GitLab"
    JIRA = "jira", "Jira"


DEFAULT_TRACKER_URLS = {
    TrackerType.GITHUB: "https://api.github.com",
    TrackerType.GITLAB: "https://gitlab.com",
}


class SyncStatus(models.TextChoices):
    NEVER = "never", "Never synced"
    RUNNING = "running", "Running"
    OK = "ok", "OK"
    ERROR = "error", "Error"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


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
    webhook_secret = EncryptedTextField(default=new_webhook_secret)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync_status = models.CharField(max_length=10, choices=SyncStatus.choices, default=SyncStatus.NEVER)
    last_error = models.TextField(blank=True)
    last_webhook_update = models.DateTimeField(null=True, blank=True)
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
        try:
            outbound_url_check(self.url)
        except OutboundUrlRefused as refused:
            raise ValidationError({"url": [str(refused)]}) from refused
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
    """A repository (GitHub), project (GitLab) or project key (Jira), with where its sync stands."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="projects")
    external_id = models.CharField(max_length=100, blank=True)
    url = models.URLField(max_length=1000, blank=True)
    issues_synced_until = models.DateTimeField(
        null=True, blank=True, help_text="The newest issue change stored; incremental sync starts here."
    )
    comments_synced_until = models.DateTimeField(null=True, blank=True)
    full_sync_started_at = models.DateTimeField(
        null=True, blank=True, help_text="Set while a full sync runs, so an interrupted one resumes."
    )
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    duplicate_threshold = models.FloatField(
        default=DEFAULT_DUPLICATE_THRESHOLD,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Similarity (0 to 1) from which two issues are called duplicates.",
    )
    overlap_threshold = models.FloatField(
        default=DEFAULT_OVERLAP_THRESHOLD,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Similarity (0 to 1) from which two issues are called overlapping; at most the duplicate threshold.",
    )

    class Meta(TrackerContainer.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "identifier"], name="trackers_project_org_identifier_unique"
            )
        ]

    def clean(self):
        super().clean()
        if self.overlap_threshold > self.duplicate_threshold:
            raise ValidationError(
                {"overlap_threshold": "must not be above duplicate_threshold (overlapping is the weaker match)."}
            )


class WebhookDelivery(models.Model):
    """A webhook delivery already processed, so a redelivery changes nothing."""

    id = models.BigAutoField(primary_key=True)
    tracker = models.ForeignKey(Tracker, on_delete=models.CASCADE, related_name="webhook_deliveries")
    delivery_id = models.CharField(max_length=200)
    event = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tracker", "delivery_id"], name="trackers_webhook_delivery_unique")
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.delivery_id}"
