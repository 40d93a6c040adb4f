import uuid

from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from pgvector.django import VectorField

from apps.trackers.models import Project


class PayloadField(models.JSONField):
    """A JSON column for tracker payloads and change sets, inserted with plain VALUES placeholders.

    Django 5.2 bulk-inserts through UNNEST(array) on PostgreSQL, and psycopg escapes each JSON document
    into a text array in Python: that was most of the time of a sync (measured, benchmarks/sync.py).
    Having `get_placeholder` makes Django use VALUES, where each document is sent as it is.
    """

    def get_placeholder(self, value, compiler, connection):
        return "%s"


class IssueState(models.TextChoices):
    OPEN = "open", "Open"
    CLOSED = "closed", "Closed"


class IssueManager(models.Manager):
    def get_queryset(self):
        # The full-text document is for the database's own search; loading it would only cost transfer.
        return super().get_queryset().defer("search_document")


class Issue(models.Model):
    """The local copy of one tracker issue, with the fields GitHub, GitLab and Jira share."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="issues")
    external_id = models.CharField(max_length=100, help_text="The tracker's own id of the issue.")
    key = models.CharField(max_length=100, help_text="What people call it: `#42`, `PROJ-42`.")
    number = models.PositiveBigIntegerField(null=True, blank=True)
    title = models.CharField(max_length=1000)
    description = models.TextField(blank=True)
    state = models.CharField(max_length=10, choices=IssueState.choices, default=IssueState.OPEN)
    status = models.CharField(max_length=100, blank=True, help_text="The tracker's status name, e.g. `In Progress`.")
    issue_type = models.CharField(max_length=100, blank=True)
    labels = ArrayField(models.CharField(max_length=255), default=list, blank=True)
    priority = models.CharField(max_length=100, blank=True)
    assignee = models.CharField(max_length=255, blank=True)
    author = models.CharField(max_length=255, blank=True)
    url = models.URLField(max_length=1000, blank=True, help_text="The issue's page in the tracker.")
    api_url = models.URLField(max_length=1000, blank=True)
    created_at_tracker = models.DateTimeField(null=True, blank=True)
    updated_at_tracker = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    raw = PayloadField(default=dict, blank=True, help_text="The tracker's payload as last received.")
    deleted_at = models.DateTimeField(null=True, blank=True, help_text="When the tracker stopped having it.")
    moved_to = models.CharField(max_length=1000, blank=True, help_text="Where the tracker says it moved.")
    last_seen_at = models.DateTimeField(null=True, blank=True, help_text="Last full sync that listed it.")
    search_document = models.GeneratedField(
        expression=SearchVector("title", weight="A", config="english")
        + SearchVector("description", weight="B", config="english"),
        output_field=SearchVectorField(),
        db_persist=True,
        help_text="Title (weight A) and description (weight B) for PostgreSQL full-text search.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = IssueManager()

    class Meta:
        ordering = ["-updated_at_tracker", "-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["project", "external_id"], name="issues_issue_project_external_unique")
        ]
        indexes = [
            models.Index(fields=["project", "key"]),
            models.Index(fields=["project", "state"]),
            models.Index(fields=["project", "-updated_at_tracker"]),
            GinIndex(fields=["labels"], name="issues_issue_labels_gin"),
            GinIndex(fields=["search_document"], name="issues_issue_search_gin"),
        ]

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class Comment(models.Model):
    """A comment on an issue, as synced from the tracker."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="comments")
    external_id = models.CharField(max_length=100)
    author = models.CharField(max_length=255, blank=True)
    body = models.TextField(blank=True)
    url = models.URLField(max_length=1000, blank=True)
    created_at_tracker = models.DateTimeField(null=True, blank=True)
    updated_at_tracker = models.DateTimeField(null=True, blank=True)
    raw = PayloadField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at_tracker", "created_at"]
        constraints = [
            models.UniqueConstraint(fields=["issue", "external_id"], name="issues_comment_issue_external_unique")
        ]

    def __str__(self) -> str:
        return f"Comment {self.external_id} on {self.issue.key}"


class IssueEmbedding(models.Model):
    """An issue's vector under one embedding model.

    The column has no fixed dimension: each model in use gets its own partial HNSW index over
    `embedding::vector(N) WHERE model = '…'` (apps/issues/embeddings/store.py), so a new model is embedded
    beside the old one and switched to without a schema change. Owner and project are copied from the
    issue so that a similarity search filters in the same index scan.
    """

    id = models.BigAutoField(primary_key=True)
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="embeddings")
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    model = models.CharField(max_length=200, help_text="The provider's model key, e.g. all-MiniLM-L6-v2-onnx-int8.")
    dimensions = models.PositiveSmallIntegerField()
    embedding = VectorField()
    content_digest = models.CharField(max_length=64, help_text="SHA-256 of the text embedded: unchanged, not redone.")
    embedded_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["issue", "model"], name="issues_embedding_issue_model_unique")]
        indexes = [models.Index(fields=["model", "owner"])]

    def __str__(self) -> str:
        return f"{self.model} vector of {self.issue_id}"


class DuplicateClassification(models.TextChoices):
    DUPLICATE = "duplicate", "Duplicate"
    OVERLAPPING = "overlapping", "Overlapping"


class DuplicatePair(models.Model):
    """Two issues of a project similar enough to be duplicates or to overlap; kept by the project scan.

    `issue_a` is the one with the smaller id, so a pair is stored once. A dismissed pair keeps its row
    (and its dismissal) when the scan finds it again. Whether it is a duplicate or an overlap is read
    from the project's current thresholds, so tuning them needs no rescan above the overlap threshold.
    """

    id = models.BigAutoField(primary_key=True)
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="duplicate_pairs")
    issue_a = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    issue_b = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="+")
    similarity = models.FloatField(help_text="Cosine similarity of the two issues' embeddings, 0 to 1.")
    model = models.CharField(max_length=200, help_text="The embedding model the similarity comes from.")
    dismissed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    found_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-similarity"]
        constraints = [
            models.UniqueConstraint(fields=["issue_a", "issue_b"], name="issues_duplicate_pair_unique"),
            models.CheckConstraint(condition=models.Q(issue_a__lt=models.F("issue_b")), name="issues_pair_ordered"),
        ]
        indexes = [models.Index(fields=["project", "-similarity"])]

    def __str__(self) -> str:
        return f"{self.issue_a_id} ~ {self.issue_b_id} ({self.similarity:.2f})"


class IssueEventKind(models.TextChoices):
    CREATED = "created", "Created"
    UPDATED = "updated", "Updated"
    CLOSED = "closed", "Closed"
    REOPENED = "reopened", "Reopened"
    LABELLED = "labelled", "Labels changed"
    COMMENTED = "commented", "Commented"
    DELETED = "deleted", "Deleted"
    MOVED = "moved", "Moved"


class ChangeSource(models.TextChoices):
    SYNC = "sync", "Sync"
    WEBHOOK = "webhook", "Webhook"
    PRELOOP = "preloop", "Preloop"


class IssueEvent(models.Model):
    """One stored change to an issue (the transactional outbox its consumers read from)."""

    id = models.BigAutoField(primary_key=True)
    owner = models.ForeignKey("accounts.User", on_delete=models.CASCADE, related_name="+")
    issue = models.ForeignKey(Issue, on_delete=models.CASCADE, related_name="events")
    kind = models.CharField(max_length=20, choices=IssueEventKind.choices)
    source = models.CharField(max_length=20, choices=ChangeSource.choices)
    changes = PayloadField(default=dict, blank=True, help_text="{field: [old, new]}; for comments the comment.")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.issue_id} ({self.source})"


class IssueEventDelivery(models.Model):
    """A consumer has handled an event; consumers are idempotent per (event, consumer)."""

    id = models.BigAutoField(primary_key=True)
    event = models.ForeignKey(IssueEvent, on_delete=models.CASCADE, related_name="deliveries")
    consumer = models.CharField(max_length=50)
    delivered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "consumer"], name="issues_event_delivery_unique")]

    def __str__(self) -> str:
        return f"{self.consumer} handled event {self.event_id}"


from apps.issues.compliance.models import DefinitionOfReady  # noqa: E402, F401 - registered with the issues app
