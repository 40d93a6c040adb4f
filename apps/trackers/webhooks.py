"""Tracker webhooks: verify the delivery, ignore what we do not use, store what changed, once.

URLs are `/api/v1/webhooks/{github|gitlab|jira}/{tracker_id}`; each tracker has its own secret.
GitHub signs with `X-Hub-Signature-256` (HMAC-SHA256 of the raw body), Jira Cloud admin webhooks
with `X-Hub-Signature` (the same scheme), GitLab sends the secret itself in `X-Gitlab-Token`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.issues.models import ChangeSource, Comment, Issue
from apps.issues.services import comments_store, issues_mark_deleted, issues_store
from apps.trackers.clients.base import TrackerError, TrackerGone, TrackerNotFound
from apps.trackers.clients.registry import client_for
from apps.trackers.models import Organization, Project, Tracker, WebhookDelivery
from preloop.crypto import secrets_equal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WebhookResult:
    status_code: int
    detail: str


class WebhookRejected(Exception):
    def __init__(self, status_code: int, detail: str):
        super().__init__(detail)
        self.status_code = status_code


def _hmac_valid(secret: str, body: bytes, header: str | None) -> bool:
    if not header:
        raise WebhookRejected(401, "Missing signature header.")
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return secrets_equal(expected, header.strip())


def webhook_verify(*, tracker: Tracker, headers: dict[str, str], body: bytes) -> None:
    """Raise WebhookRejected (401 missing, 403 wrong) unless the delivery carries this tracker's secret."""
    secret = tracker.webhook_secret
    if tracker.tracker_type == "github":
        valid = _hmac_valid(secret, body, headers.get("x-hub-signature-256"))
    elif tracker.tracker_type == "jira":
        valid = _hmac_valid(secret, body, headers.get("x-hub-signature"))
    else:
        token = headers.get("x-gitlab-token")
        if not token:
            raise WebhookRejected(401, "Missing X-Gitlab-Token header.")
        valid = secrets_equal(secret, token)
    if not valid:
        raise WebhookRejected(403, "Signature does not match this tracker's webhook secret.")


def _delivery_id(tracker_type: str, headers: dict[str, str], body: bytes) -> str:
    header = {"github": "x-github-delivery", "gitlab": "x-gitlab-event-uuid",
              "jira": "x-atlassian-webhook-identifier"}[tracker_type]  # fmt: skip
    return headers.get(header) or "sha256:" + hashlib.sha256(body).hexdigest()


def webhook_receive(*, tracker_type: str, tracker_id, headers: dict[str, str], body: bytes) -> WebhookResult:
    """The whole handling of one delivery; raises WebhookRejected for the 4xx answers."""
    tracker = Tracker.objects.filter(id=tracker_id, tracker_type=tracker_type).first()
    if tracker is None:
        raise WebhookRejected(404, f"No {tracker_type} tracker with this id.")
    headers = {name.lower(): value for name, value in headers.items()}
    webhook_verify(tracker=tracker, headers=headers, body=body)
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise WebhookRejected(400, f"Body is not valid JSON: {error}") from error
    if not isinstance(payload, dict):
        raise WebhookRejected(400, "Body must be a JSON object.")
    handler = {"github": _github, "gitlab": _gitlab, "jira": _jira}[tracker_type]
    try:
        with transaction.atomic():
            WebhookDelivery.objects.create(tracker=tracker, delivery_id=_delivery_id(tracker_type, headers, body)[:200],
                                           event=_event_name(tracker_type, headers, payload)[:100])  # fmt: skip
            result = handler(tracker, headers, payload)
            Tracker.objects.filter(pk=tracker.pk).update(last_webhook_update=timezone.now())
    except IntegrityError:
        return WebhookResult(200, "Already processed this delivery.")
    except (KeyError, TypeError, ValueError) as error:
        raise WebhookRejected(400, f"Payload is missing what this event needs: {error}") from error
    return result


def _event_name(tracker_type: str, headers: dict, payload: dict) -> str:
    if tracker_type == "github":
        return f"{headers.get('x-github-event', '')}.{payload.get('action', '')}"
    if tracker_type == "gitlab":
        return headers.get("x-gitlab-event", payload.get("object_kind", ""))
    return str(payload.get("webhookEvent", ""))


def _organization(tracker: Tracker, identifier: str) -> Organization:
    organization = Organization.objects.filter(tracker=tracker, identifier__iexact=identifier).first()
    if organization is None:
        raise WebhookRejected(404, f"Organization {identifier!r} is not known for this tracker; sync it first.")
    return organization


def _project(organization: Organization, identifier: str) -> Project:
    project, _ = Project.objects.get_or_create(organization=organization, identifier=identifier,
                                               defaults={"name": identifier})  # fmt: skip
    return project


def _store_issue(project: Project, remote, comments=()) -> Issue:
    stored = issues_store(project=project, remote_issues=[remote], source=ChangeSource.WEBHOOK)[remote.external_id]
    if comments:
        comments_store(owner_id=project.organization.tracker.owner_id, source=ChangeSource.WEBHOOK,
                       comments=[(stored, comment) for comment in comments])  # fmt: skip
    return stored


def _mark_gone(project: Project, external_id: str, moved_to: str = "") -> None:
    issues = list(Issue.objects.filter(project=project, external_id=external_id, deleted_at__isnull=True))
    issues_mark_deleted(owner_id=project.organization.tracker.owner_id, issues=issues, source=ChangeSource.WEBHOOK,
                        moved_to={external_id: moved_to} if moved_to else None)  # fmt: skip


# --- GitHub ----------------------------------------------------------------------------------
def _github(tracker: Tracker, headers: dict, payload: dict) -> WebhookResult:
    event, action = headers.get("x-github-event", ""), payload.get("action", "")
    if event == "ping":
        return WebhookResult(200, "pong")
    if event not in ("issues", "issue_comment"):
        return WebhookResult(202, f"Ignored: Preloop does not use {event!r} events.")
    issue = payload["issue"]
    if "pull_request" in issue:
        return WebhookResult(202, "Ignored: pull requests are not synced.")
    repository = payload["repository"]
    project = _project(_organization(tracker, repository["owner"]["login"]), repository["name"])
    if event == "issues" and action == "deleted":
        _mark_gone(project, str(issue["id"]))
    elif event == "issues" and action == "transferred":
        _mark_gone(project, str(issue["id"]), (payload.get("changes", {}).get("new_issue") or {}).get("html_url", ""))
    elif event == "issue_comment" and action == "deleted":
        Comment.objects.filter(issue__project=project, external_id=str(payload["comment"]["id"])).delete()
    else:  # GitHub's payloads carry the whole issue (and comment): no API call needed
        from apps.trackers.clients.github import GitHubClient

        comments = [GitHubClient.comment_from_payload(payload["comment"])] if event == "issue_comment" else []
        _store_issue(project, GitHubClient.issue_from_payload(issue), comments)
    return WebhookResult(200, f"Processed {event}.{action}.")


# --- GitLab ----------------------------------------------------------------------------------
def _gitlab_project(tracker: Tracker, path: str) -> Project:
    """The longest known organization path that prefixes `acme/sub/api` owns the project."""
    organizations = sorted(Organization.objects.filter(tracker=tracker), key=lambda o: -len(o.identifier))
    for organization in organizations:
        prefix = organization.identifier.rstrip("/") + "/"
        if path.lower().startswith(prefix.lower()):
            return _project(organization, path[len(prefix) :])
    raise WebhookRejected(404, f"No known organization owns {path!r}; sync this tracker first.")


def _fetch_and_store(tracker: Tracker, project: Project, key: str, external_id: str = "") -> WebhookResult:
    """Partial payloads: read the issue (with comments) from the tracker's API, then store it."""
    organization = project.organization.identifier
    client = None
    try:
        client = client_for(tracker)
        remote = client.get_issue(organization, project.identifier, key)
    except (TrackerNotFound, TrackerGone):
        if external_id:
            _mark_gone(project, external_id)
        return WebhookResult(200, f"{key} no longer exists; marked as deleted.")
    except TrackerError as error:
        log.warning("webhook for %s could not read %s: %s", tracker.name, key, error)
        raise WebhookRejected(502, f"Could not read {key} from the tracker: {error}") from error
    finally:
        if client is not None:
            client.close()
    _store_issue(project, remote, remote.comments or [])
    return WebhookResult(200, f"Stored {key}.")


def _gitlab(tracker: Tracker, headers: dict, payload: dict) -> WebhookResult:
    kind = payload.get("object_kind")
    if kind == "issue":
        project = _gitlab_project(tracker, payload["project"]["path_with_namespace"])
        attributes = payload["object_attributes"]
        return _fetch_and_store(tracker, project, f"#{attributes['iid']}", str(attributes["id"]))
    if kind == "note" and payload.get("object_attributes", {}).get("noteable_type") == "Issue":
        project = _gitlab_project(tracker, payload["project"]["path_with_namespace"])
        return _fetch_and_store(tracker, project, f"#{payload['issue']['iid']}", str(payload["issue"]["id"]))
    return WebhookResult(202, f"Ignored: Preloop does not use {kind!r} events.")


# --- Jira ------------------------------------------------------------------------------------
def _jira(tracker: Tracker, headers: dict, payload: dict) -> WebhookResult:
    event = str(payload.get("webhookEvent", ""))
    if not (event.startswith("jira:issue_") or event.startswith("comment_")):
        return WebhookResult(202, f"Ignored: Preloop does not use {event!r} events.")
    issue = payload["issue"]
    project_key = issue.get("fields", {}).get("project", {}).get("key") or issue["key"].rsplit("-", 1)[0]
    organization = Organization.objects.filter(tracker=tracker).order_by("created_at").first()
    if organization is None:
        raise WebhookRejected(404, "This Jira tracker has no organization yet; sync it first.")
    project = _project(organization, project_key)
    if event == "jira:issue_deleted":
        _mark_gone(project, str(issue["id"]))
        return WebhookResult(200, f"Marked {issue['key']} deleted.")
    return _fetch_and_store(tracker, project, issue["key"], str(issue["id"]))
