"""Webhook deliveries from the GitHub fake: `issues` and `issue_comment` payloads, Hookshot headers, signatures."""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid

from .github_store import _Repo


class GitHubWebhooksMixin:
    """Mixed into FakeGitHub: event payloads built from the current state, signed as Hookshot signs them."""

    def webhook(
        self, event: str, payload: dict, secret: str | None, delivery_id: str | None = None
    ) -> tuple[dict, bytes]:
        """Headers and body of a delivery as GitHub's Hookshot sends it (signature headers only with a secret)."""
        body = json.dumps(payload, separators=(",", ":")).encode()
        repository = payload.get("repository") or {}
        with self.lock:
            hook_id = self._hook_id_for(repository.get("id"))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "GitHub-Hookshot/7c3e8c1",
            "X-GitHub-Event": event,
            "X-GitHub-Delivery": delivery_id or str(uuid.uuid4()),
            "X-GitHub-Hook-ID": str(hook_id),
            "X-GitHub-Hook-Installation-Target-ID": str(repository.get("id", 0)),
            "X-GitHub-Hook-Installation-Target-Type": "repository",
        }
        if secret:
            key = secret.encode()
            headers["X-Hub-Signature"] = "sha1=" + hmac.new(key, body, hashlib.sha1).hexdigest()
            headers["X-Hub-Signature-256"] = "sha256=" + hmac.new(key, body, hashlib.sha256).hexdigest()
        return headers, body

    def issue_event_payload(
        self,
        owner: str,
        repo: str,
        number: int,
        action: str,
        *,
        sender: str | None = None,
        changes: dict | None = None,
        label: str | None = None,
        assignee: str | None = None,
    ) -> dict:
        """An `issues` event (opened, edited, closed, reopened, labeled, assigned, deleted, transferred, ...)."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            issue = target.issues[number]
            payload: dict = {"action": action, "issue": self._issue_json(target, issue)}
            if action in ("labeled", "unlabeled"):
                name = label or (issue.labels[-1] if issue.labels else "bug")
                payload["label"] = self._label_json(target, self._label(target, name))
            if action in ("assigned", "unassigned"):
                login = assignee or (issue.assignees[-1] if issue.assignees else self.login)
                payload["assignee"] = self._user_json(self._account(login, create="User"))
            if action == "transferred" and issue.moved_to:
                new_repo = self._repos_by_id[issue.moved_to[0]]
                payload["changes"] = {
                    "new_issue": self._issue_json(new_repo, new_repo.issues[issue.moved_to[1]]),
                    "new_repository": self._repo_json(new_repo),
                }
            elif action == "edited" or changes:
                payload["changes"] = changes or {}
            return self._event_envelope(target, payload, sender)

    def comment_event_payload(
        self,
        owner: str,
        repo: str,
        number: int,
        comment_id: int,
        action: str = "created",
        *,
        sender: str | None = None,
        changes: dict | None = None,
    ) -> dict:
        """An `issue_comment` event (created, edited, deleted)."""
        with self.lock:
            target = self._seed_repo(owner, repo)
            payload: dict = {
                "action": action,
                "issue": self._issue_json(target, target.issues[number]),
                "comment": self._comment_json(target, target.comments[comment_id]),
            }
            if action == "edited":
                payload["changes"] = changes or {}
            return self._event_envelope(target, payload, sender or target.comments[comment_id].user)

    def _event_envelope(self, repo: _Repo, payload: dict, sender: str | None) -> dict:
        payload["repository"] = self._repo_json(repo)
        owner = self._accounts[repo.owner.lower()]
        if owner.type == "Organization":
            payload["organization"] = self._org_json(owner)
        payload["sender"] = self._user_json(self._account(sender or self.login, create="User"))
        return payload
