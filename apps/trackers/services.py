"""Writes of trackers, organizations and projects. Rules live in Model.clean(), checked here."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from apps.trackers.clients.base import (
    ConnectionReport,
    TrackerAuthError,
    TrackerError,
    TrackerGone,
    TrackerNotFound,
    TrackerPermissionError,
    TrackerRateLimited,
    TrackerUnavailable,
    TrackerUrlRefused,
    TrackerValidationError,
)
from apps.trackers.clients.registry import client_for
from apps.trackers.models import Organization, Project, Tracker, new_webhook_secret

PROBLEM_NAMES = {
    TrackerAuthError: "authentication",
    TrackerPermissionError: "permission",
    TrackerNotFound: "not_found",
    TrackerGone: "gone",
    TrackerValidationError: "invalid",
    TrackerRateLimited: "rate_limited",
    TrackerUnavailable: "unavailable",
    TrackerUrlRefused: "url_refused",
}
UNIQUE_MESSAGES = {
    Tracker: ("name", "You already have a tracker with this name."),
    Organization: ("identifier", "This tracker already has an organization with this identifier."),
    Project: ("identifier", "This organization already has a project with this identifier."),
}


def _save(instance, *, fields: dict):
    for field, value in fields.items():
        setattr(instance, field, value)
    instance.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError as error:
        field, message = UNIQUE_MESSAGES[type(instance)]
        raise ValidationError({field: [message]}) from error
    return instance


def tracker_create(*, owner, **fields) -> Tracker:
    return _save(Tracker(owner=owner), fields=fields)


def tracker_update(*, tracker: Tracker, **fields) -> Tracker:
    return _save(tracker, fields=fields)


def tracker_delete(*, tracker: Tracker) -> None:
    tracker.delete()


def organization_create(*, tracker: Tracker, **fields) -> Organization:
    return _save(Organization(tracker=tracker), fields=fields)


def organization_update(*, organization: Organization, **fields) -> Organization:
    return _save(organization, fields=fields)


def organization_delete(*, organization: Organization) -> None:
    organization.delete()


def project_create(*, organization: Organization, **fields) -> Project:
    return _save(Project(organization=organization), fields=fields)


def project_update(*, project: Project, **fields) -> Project:
    before = (project.duplicate_threshold, project.overlap_threshold)
    project = _save(project, fields=fields)
    if (project.duplicate_threshold, project.overlap_threshold) != before:
        from apps.issues.tasks import project_duplicates_rescan

        # Pairs are stored from the overlap threshold up: a lower one needs a rescan to find more.
        transaction.on_commit(lambda: project_duplicates_rescan.send(str(project.id)))
    return project


def project_delete(*, project: Project) -> None:
    project.delete()


def tracker_webhook_url(tracker: Tracker) -> str:
    from django.conf import settings

    return f"{settings.PRELOOP_URL}/api/v1/webhooks/{tracker.tracker_type}/{tracker.id}"


def tracker_webhook_secret_rotate(*, tracker: Tracker) -> str:
    """A new webhook secret; deliveries signed with the old one are refused from now on."""
    tracker.webhook_secret = new_webhook_secret()
    tracker.save(update_fields=["webhook_secret", "updated_at"])
    return tracker.webhook_secret


def tracker_connection_test(*, tracker: Tracker, organization: str = "", project: str = "") -> ConnectionReport:
    """Check credentials and access with the tracker itself; problems come back as a failed report."""
    try:
        client = client_for(tracker)
    except TrackerError as error:
        return ConnectionReport(False, str(error), problem=PROBLEM_NAMES.get(type(error), "error"))
    try:
        return client.test_connection(organization=organization, project=project)
    except TrackerError as error:
        return ConnectionReport(False, str(error), problem=PROBLEM_NAMES.get(type(error), "error"))
    finally:
        client.close()


def project_webhook_register(*, project: Project) -> dict:
    """Create the tracker-side webhook for a GitHub repository or GitLab project, where the token may."""
    tracker = project.organization.tracker
    if tracker.tracker_type == "jira":
        raise ValidationError({"tracker_type": [
            "Jira webhooks are created by a Jira administrator (System → WebHooks); see the README for the URL "
            "and secret to enter."
        ]})  # fmt: skip
    try:
        client = client_for(tracker)
    except TrackerError as error:
        raise ValidationError({"project_id": [f"Could not register the webhook: {error}"]}) from error
    try:
        hook = client.register_webhook(project.organization.identifier, project.identifier,
                                       url=tracker_webhook_url(tracker), secret=tracker.webhook_secret)  # fmt: skip
    except TrackerError as error:
        raise ValidationError({"project_id": [f"Could not register the webhook: {error}"]}) from error
    finally:
        client.close()
    return {"registered": True, "hook_id": str(hook.get("id", "")), "url": tracker_webhook_url(tracker)}


def tracker_unsaved(*, owner, **fields) -> Tracker:
    """A validated tracker that is not stored, to test credentials before saving them."""
    tracker = Tracker(owner=owner, name="connection test", **fields)
    tracker.full_clean(exclude=["name"], validate_unique=False, validate_constraints=False)
    return tracker


def tracker_sync_enqueue(*, tracker: Tracker, full: bool = False) -> None:
    from apps.trackers.tasks import tracker_sync_run

    transaction.on_commit(lambda: tracker_sync_run.send(str(tracker.id), full=full))
