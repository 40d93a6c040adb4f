import dramatiq

from apps.issues.events import issue_events_deliver_now, issue_events_undelivered


@dramatiq.actor(max_retries=5, min_backoff=1_000)
def issue_events_deliver(event_ids: list[int]) -> None:
    issue_events_deliver_now(event_ids)


@dramatiq.actor(max_retries=0)
def issue_events_sweep() -> None:
    """Re-enqueue deliveries left undone (a worker crash, Redis down at commit time)."""
    ids = issue_events_undelivered()
    for start in range(0, len(ids), 500):
        issue_events_deliver.send(ids[start : start + 500])


@dramatiq.actor(queue_name="embeddings", max_retries=3, min_backoff=10_000, time_limit=60 * 60 * 1000)
def issues_embed_missing(limit: int = 5_000) -> None:
    """Embed live issues that have no vector of the configured model (a new model, a worker that was down)."""
    from apps.issues.embeddings.consumer import issues_embed_and_pair
    from apps.issues.embeddings.providers import embedding_provider
    from apps.issues.embeddings.store import issues_without_embedding

    issues_embed_and_pair(issues_without_embedding(model_key=embedding_provider().model_key, limit=limit))


@dramatiq.actor(queue_name="embeddings", max_retries=3, min_backoff=10_000, time_limit=60 * 60 * 1000)
def project_duplicates_rescan(project_id: str) -> None:
    """Refresh a project's duplicate pairs (its thresholds changed, or someone asked)."""
    from apps.issues.duplicates import project_duplicates_scan
    from apps.trackers.models import Project

    project = Project.objects.filter(id=project_id).first()
    if project is not None:
        project_duplicates_scan(project=project)
