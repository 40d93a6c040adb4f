"""Finding an issue the way people write it: `acme/api#42`, `PROJ-123`, the tracker's URL, or Preloop's id.

Always within the requesting user's own issues: another user's issue is simply not found.
"""

from __future__ import annotations

import re
import uuid
from urllib.parse import urlsplit, urlunsplit

from apps.issues.models import Issue
from apps.issues.selectors import issue_get, issue_list


class IssueReferenceInvalid(ValueError):
    """The reference cannot be read, or fits more than one issue; the message says how to write it."""


HOW_TO_WRITE = (
    "Write the issue as `organization/project#number` (e.g. `acme/api#42`), a Jira key (`PROJ-123`), "
    "the issue's URL in the tracker, or its Preloop id."
)
SLUG_NUMBER = re.compile(r"^(?P<path>[^\s#]+)/(?P<project>[^\s/#]+)#(?P<number>\d+)$")
JIRA_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*-\d+$")
BARE_NUMBER = re.compile(r"^#?(?P<number>\d+)$")
JIRA_BROWSE = re.compile(r"/browse/(?P<key>[A-Za-z][A-Za-z0-9_]*-\d+)/?$")


def issue_reference_resolve(*, user, reference: str) -> Issue:
    """The user's issue the reference names, with its comments; raises Issue.DoesNotExist or IssueReferenceInvalid."""
    text = (reference or "").strip()
    if not text:
        raise IssueReferenceInvalid(f"No issue given. {HOW_TO_WRITE}")
    issue_id = _matching_id(user, text)
    return issue_get(user=user, issue_id=issue_id)


def _matching_id(user, text: str):
    try:
        return uuid.UUID(text)
    except ValueError:
        pass
    issues = issue_list(user=user, include_deleted=True)
    if text.lower().startswith(("http://", "https://")):
        return _one(_by_url(issues, text), text)
    if match := SLUG_NUMBER.match(text):
        candidates = issues.filter(
            project__organization__identifier__iexact=match["path"],
            project__identifier__iexact=match["project"],
            number=int(match["number"]),
        )
        return _one(candidates, text)
    if JIRA_KEY.match(text):
        return _one(issues.filter(key__iexact=text), text)
    if match := BARE_NUMBER.match(text):
        return _one(issues.filter(number=int(match["number"])), text, hint="Add the project: `acme/api#42`.")
    raise IssueReferenceInvalid(f"Cannot read {text!r} as an issue. {HOW_TO_WRITE}")


def _normalized_url(url: str) -> str:
    parts = urlsplit(url.strip())
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def _by_url(issues, url: str):
    wanted = _normalized_url(url)
    exact = issues.filter(url__iexact=wanted)
    if exact.exists():
        return exact
    if match := JIRA_BROWSE.search(urlsplit(url).path):  # a Jira browse link: the key on that site
        host = urlsplit(url).netloc.lower()
        return issues.filter(key__iexact=match["key"], url__icontains=host)
    return issues.filter(url__iexact=wanted + "/")


def _one(candidates, text: str, hint: str = ""):
    found = list(candidates.values_list("id", flat=True)[:2])
    if not found:
        raise Issue.DoesNotExist(f"No issue {text!r} among your synced issues.")
    if len(found) > 1:
        raise IssueReferenceInvalid(f"{text!r} fits more than one of your issues. {hint or HOW_TO_WRITE}")
    return found[0]
