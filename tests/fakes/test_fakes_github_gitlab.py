"""The GitHub and GitLab fakes answer like the real APIs on what sync clients depend on.

The `fake_github` and `fake_gitlab` fixtures come from tests/fakes/fixtures.py through tests/conftest.py.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import parse_qs, urlsplit

import httpx2

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import MAINTAINER, REPORTER, FakeGitLab


def github_client(fake: FakeGitHub, token: str = "ghp_testtoken") -> httpx2.Client:
    return httpx2.Client(base_url=fake.url, headers={"Authorization": f"Bearer {token}"})


def gitlab_client(fake: FakeGitLab, token: str = "glpat-testtoken") -> httpx2.Client:
    return httpx2.Client(base_url=f"{fake.url}/api/v4", headers={"PRIVATE-TOKEN": token})


@contextmanager
def running(fake):
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def follow_links(client: httpx2.Client, url: str, params: dict | None = None) -> Iterator[httpx2.Response]:
    response = client.get(url, params=params)
    yield response
    while 'rel="next"' in response.headers.get("link", ""):
        response = client.get(response.links["next"]["url"])
        yield response


# --- GitHub ---------------------------------------------------------------------------------------------------
def test_github_rejects_a_missing_or_wrong_token_with_401(fake_github):
    anonymous = httpx2.get(f"{fake_github.url}/user")
    assert anonymous.status_code == 401
    assert anonymous.json()["message"] == "Requires authentication"
    wrong = github_client(fake_github, "ghp_wrong").get("/user")
    assert wrong.status_code == 401
    assert wrong.json() == {
        "message": "Bad credentials",
        "documentation_url": "https://docs.github.com/rest",
        "status": "401",
    }
    legacy_scheme = httpx2.get(f"{fake_github.url}/user", headers={"Authorization": "token ghp_testtoken"})
    assert legacy_scheme.status_code == 200


def test_github_user_reports_the_tokens_scopes(fake_github):
    response = github_client(fake_github).get("/user")
    assert response.headers["X-OAuth-Scopes"] == "repo, read:org"
    assert response.json()["login"] == "octocat"
    assert response.headers["X-RateLimit-Resource"] == "core"


def test_github_issue_pages_link_to_each_other_with_absolute_urls(fake_github):
    fake_github.add_repo("octocat", "hello")
    for number in range(65):
        fake_github.add_issue("octocat", "hello", f"Issue {number}")
    client = github_client(fake_github)

    pages = list(follow_links(client, "/repos/octocat/hello/issues", {"direction": "asc"}))

    assert [len(page.json()) for page in pages] == [30, 30, 5]
    assert [issue["number"] for page in pages for issue in page.json()] == list(range(1, 66))
    first_links = pages[0].links
    assert first_links["next"]["url"].startswith(fake_github.url + "/repositories/")
    assert parse_qs(urlsplit(first_links["last"]["url"]).query)["page"] == ["3"]
    assert set(pages[-1].links) == {"prev", "first"}
    assert fake_github.pages_past_end == []
    past_end = client.get("/repos/octocat/hello/issues", params={"page": 4})
    assert past_end.json() == []
    assert len(fake_github.pages_past_end) == 1


def test_github_issue_lists_include_pull_requests_marked_by_their_key(fake_github):
    fake_github.add_repo("octocat", "hello")
    fake_github.add_issue("octocat", "hello", "A bug")
    fake_github.add_issue("octocat", "hello", "A fix", pull_request=True)

    items = github_client(fake_github).get("/repos/octocat/hello/issues").json()

    assert {item["title"]: "pull_request" in item for item in items} == {"A bug": False, "A fix": True}
    assert items[0]["html_url"].endswith("/octocat/hello/pull/2")


def test_github_since_returns_issues_updated_at_or_after_it(fake_github):
    fake_github.clock.set("2026-11-25T10:00:00Z")
    fake_github.add_repo("octocat", "hello")
    for number in range(5):
        fake_github.add_issue("octocat", "hello", f"Issue {number}")
    fake_github.update_issue("octocat", "hello", 2, title="Edited")
    edited_at = fake_github.issue("octocat", "hello", 2)["updated_at"]
    fake_github.add_issue("octocat", "hello", "Newest", state="closed")

    response = github_client(fake_github).get(
        "/repos/octocat/hello/issues",
        params={"since": edited_at, "state": "all", "sort": "updated", "direction": "asc"},
    )

    assert [issue["title"] for issue in response.json()] == ["Edited", "Newest"]
    assert response.json()[0]["updated_at"] > response.json()[0]["created_at"]
    assert github_client(fake_github).get("/repos/octocat/hello/issues").json()[0]["title"] == "Issue 4"


def test_github_etag_answers_304_without_spending_rate_limit(fake_github):
    fake_github.add_repo("octocat", "hello")
    fake_github.add_issue("octocat", "hello", "A bug")
    client = github_client(fake_github)
    first = client.get("/repos/octocat/hello/issues")

    again = client.get("/repos/octocat/hello/issues", headers={"If-None-Match": first.headers["ETag"]})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["X-RateLimit-Remaining"] == first.headers["X-RateLimit-Remaining"]
    fake_github.update_issue("octocat", "hello", 1, title="Changed")
    changed = client.get("/repos/octocat/hello/issues", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert int(changed.headers["X-RateLimit-Remaining"]) == int(first.headers["X-RateLimit-Remaining"]) - 1


def test_github_exhausted_rate_limit_answers_403_until_the_reset_time(fake_github):
    client = github_client(fake_github)
    fake_github.exhaust_rate_limit(reset_in_seconds=1)

    limited = client.get("/user")

    assert limited.status_code == 403
    assert limited.json()["message"].startswith("API rate limit exceeded for user ID 1.")
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    time.sleep(max(0.0, int(limited.headers["X-RateLimit-Reset"]) - time.time()) + 0.05)
    assert client.get("/user").status_code == 200


def test_github_secondary_rate_limit_answers_403_with_retry_after(fake_github):
    client = github_client(fake_github)
    fake_github.secondary_rate_limit_next(retry_after=1)

    limited = client.get("/user")

    assert limited.status_code == 403
    assert limited.headers["Retry-After"] == "1"
    assert limited.json()["message"].startswith("You have exceeded a secondary rate limit")
    assert limited.headers["X-RateLimit-Remaining"] != "0"
    time.sleep(1.05)
    assert client.get("/user").status_code == 200


def test_github_deleted_issue_is_410_and_transferred_issue_redirects(fake_github):
    fake_github.add_repo("octocat", "hello")
    fake_github.add_repo("octocat", "world")
    fake_github.add_issue("octocat", "hello", "Gone")
    fake_github.add_issue("octocat", "hello", "Travelling")
    fake_github.add_comment("octocat", "hello", 2, "Bring me along")
    fake_github.delete_issue("octocat", "hello", 1)
    new = fake_github.transfer_issue("octocat", "hello", 2, "octocat", "world")
    client = github_client(fake_github)

    assert client.get("/repos/octocat/hello/issues/1").status_code == 410
    assert client.get("/repos/octocat/hello/issues/1").json()["message"] == "This issue was deleted"
    moved = client.get("/repos/octocat/hello/issues/2")
    assert moved.status_code == 301
    followed = client.get(moved.headers["Location"]).json()
    assert (followed["title"], followed["id"], followed["comments"]) == ("Travelling", new["id"], 1)
    assert followed["repository_url"].endswith("/repos/octocat/world")
    assert client.get("/repos/octocat/hello/issues", params={"state": "all"}).json() == []
    assert client.get("/repos/octocat/hello/issues/9").json()["message"] == "Not Found"


def test_github_private_repo_is_404_without_the_repo_scope():
    with running(FakeGitHub(scopes=("read:org",))) as fake:
        fake.add_org("acme")
        fake.add_repo("acme", "secret", private=True)
        fake.add_repo("acme", "open")
        client = github_client(fake)

        assert client.get("/repos/acme/secret").status_code == 404
        assert client.get("/repos/acme/secret/issues").json()["message"] == "Not Found"
        assert [repo["name"] for repo in client.get("/orgs/acme/repos").json()] == ["open"]


def test_github_create_issue_validates_like_github(fake_github):
    fake_github.add_repo("octocat", "hello")
    fake_github.add_user("hubot")
    client = github_client(fake_github)

    missing = client.post("/repos/octocat/hello/issues", json={"body": "no title"})
    unknown = client.post("/repos/octocat/hello/issues", json={"title": "x", "assignees": ["nobody"]})
    created = client.post(
        "/repos/octocat/hello/issues", json={"title": "Crash", "labels": ["bug", "new-label"], "assignees": ["hubot"]}
    )

    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"resource": "Issue", "code": "missing_field", "field": "title"}]
    assert missing.json()["message"] == "Validation Failed"
    assert unknown.status_code == 422
    assert created.status_code == 201
    assert [label["name"] for label in created.json()["labels"]] == ["bug", "new-label"]
    assert created.json()["assignees"][0]["login"] == "hubot"
    assert created.json()["user"]["login"] == "octocat"


def test_github_closing_an_issue_sets_closed_at_and_bumps_updated_at(fake_github):
    fake_github.clock.set("2026-11-25T10:00:00Z")
    fake_github.add_repo("octocat", "hello")
    before = fake_github.add_issue("octocat", "hello", "Crash")

    closed = github_client(fake_github).patch(
        "/repos/octocat/hello/issues/1", json={"state": "closed", "state_reason": "not_planned", "labels": ["wontfix"]}
    )

    assert closed.status_code == 200
    body = closed.json()
    assert (body["state"], body["state_reason"], body["closed_at"]) == ("closed", "not_planned", body["updated_at"])
    assert body["updated_at"] > before["updated_at"]
    assert body["closed_by"]["login"] == "octocat"
    assert fake_github.issue("octocat", "hello", 1)["labels"][0]["name"] == "wontfix"


def test_github_repo_wide_comments_carry_their_issue_url_and_honour_since(fake_github):
    fake_github.clock.set("2026-11-25T10:00:00Z")
    fake_github.add_repo("octocat", "hello")
    fake_github.add_issue("octocat", "hello", "First")
    fake_github.add_issue("octocat", "hello", "Second")
    fake_github.add_comment("octocat", "hello", 1, "old")
    late = fake_github.add_comment("octocat", "hello", 2, "new")

    comments = github_client(fake_github).get(
        "/repos/octocat/hello/issues/comments", params={"since": late["created_at"], "sort": "created"}
    )

    assert [(c["body"], c["issue_url"].rsplit("/", 1)[-1]) for c in comments.json()] == [("new", "2")]
    assert fake_github.issue("octocat", "hello", 2)["comments"] == 1


def test_github_hooks_are_404_without_a_hook_scope_and_recorded_with_one(fake_github):
    fake_github.add_repo("octocat", "hello")
    created = github_client(fake_github).post(
        "/repos/octocat/hello/hooks",
        json={
            "config": {"url": "https://preloop.test/hooks/github", "secret": "s3cret", "content_type": "json"},
            "events": ["issues"],
        },
    )
    assert created.status_code == 201
    assert created.json()["config"]["secret"] == "********"
    assert fake_github.hooks("octocat", "hello")[0]["config"]["secret"] == "s3cret"
    with running(FakeGitHub(scopes=("read:org",))) as limited:
        limited.add_repo("octocat", "hello")
        assert github_client(limited).get("/repos/octocat/hello/hooks").status_code == 404


def test_github_webhook_delivery_is_signed_over_the_raw_body(fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    fake_github.add_issue("acme", "api", "Crash")
    payload = fake_github.issue_event_payload("acme", "api", 1, "opened")

    headers, body = fake_github.webhook("issues", payload, "s3cret")

    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature-256"], expected)
    assert headers["X-GitHub-Event"] == "issues"
    assert headers["User-Agent"].startswith("GitHub-Hookshot/")
    sent = json.loads(body)
    assert (sent["action"], sent["issue"]["number"], sent["repository"]["full_name"]) == ("opened", 1, "acme/api")
    assert (sent["repository"]["owner"]["login"], sent["organization"]["login"]) == ("acme", "acme")
    comment = fake_github.add_comment("acme", "api", 1, "Same here")
    comment_payload = fake_github.comment_event_payload("acme", "api", 1, comment["id"])
    assert comment_payload["comment"]["body"] == "Same here"


# --- GitLab ---------------------------------------------------------------------------------------------------
def test_gitlab_accepts_private_token_or_bearer_and_401s_otherwise(fake_gitlab):
    url = f"{fake_gitlab.url}/api/v4/user"
    assert httpx2.get(url, headers={"PRIVATE-TOKEN": "glpat-testtoken"}).json()["username"] == "root"
    assert httpx2.get(url, headers={"Authorization": "Bearer glpat-testtoken"}).status_code == 200
    wrong = httpx2.get(url, headers={"PRIVATE-TOKEN": "glpat-wrong"})
    assert (wrong.status_code, wrong.json()) == (401, {"message": "401 Unauthorized"})
    assert httpx2.get(url).status_code == 401
    token = gitlab_client(fake_gitlab).get("/personal_access_tokens/self").json()
    assert (token["scopes"], token["active"]) == (["api"], True)


def test_gitlab_projects_are_found_by_id_or_url_encoded_path_but_not_a_raw_slash(fake_gitlab):
    fake_gitlab.add_group("acme/sub")
    project = fake_gitlab.add_project("acme/sub", "api")
    client = gitlab_client(fake_gitlab)

    assert client.get(f"/projects/{project['id']}").json()["path_with_namespace"] == "acme/sub/api"
    assert client.get("/projects/acme%2Fsub%2Fapi").json()["id"] == project["id"]
    assert client.get("/projects/acme%2fsub%2fapi").status_code == 200
    assert client.get("/projects/acme/sub/api").status_code == 404
    assert client.get("/projects/acme%2Fnope").json() == {"message": "404 Project Not Found"}
    group = client.get("/groups/acme%2Fsub").json()
    assert (group["full_path"], group["full_name"]) == ("acme/sub", "acme / sub")


def test_gitlab_issue_pages_carry_offset_headers_and_links(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    for number in range(45):
        fake_gitlab.add_issue("acme/api", f"Issue {number}")
    client = gitlab_client(fake_gitlab)

    pages = list(follow_links(client, "/projects/acme%2Fapi/issues", {"sort": "asc"}))

    assert [len(page.json()) for page in pages] == [20, 20, 5]
    assert [issue["iid"] for page in pages for issue in page.json()] == list(range(1, 46))
    first = pages[0].headers
    assert (first["X-Page"], first["X-Per-Page"], first["X-Next-Page"], first["X-Prev-Page"]) == ("1", "20", "2", "")
    assert (first["X-Total"], first["X-Total-Pages"]) == ("45", "3")
    assert pages[0].links["last"]["url"].startswith(f"{fake_gitlab.url}/api/v4/projects/acme%2Fapi/issues?")
    assert pages[-1].headers["X-Next-Page"] == ""
    assert client.get("/projects/acme%2Fapi/issues", params={"page": 9}).json() == []
    assert len(fake_gitlab.pages_past_end) == 1


def test_gitlab_leaves_out_totals_beyond_ten_thousand_rows(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    for number in range(10_001):
        fake_gitlab.add_issue("acme/api", f"Issue {number}")

    page = gitlab_client(fake_gitlab).get("/projects/acme%2Fapi/issues", params={"per_page": 100})

    assert "X-Total" not in page.headers and "X-Total-Pages" not in page.headers
    assert set(page.links) == {"next", "first"}


def test_gitlab_updated_after_filters_and_defaults_to_all_states(fake_gitlab):
    fake_gitlab.clock.set("2026-11-25T10:00:00.000Z")
    fake_gitlab.add_project("acme", "api")
    for number in range(4):
        fake_gitlab.add_issue("acme/api", f"Issue {number}", state="closed" if number == 0 else "opened")
    edited = fake_gitlab.update_issue("acme/api", 1, title="Edited")
    client = gitlab_client(fake_gitlab)

    changed = client.get(
        "/projects/acme%2Fapi/issues", params={"updated_after": edited["updated_at"], "order_by": "updated_at"}
    )

    assert [(issue["iid"], issue["state"]) for issue in changed.json()] == [(1, "closed")]
    assert edited["updated_at"].endswith("Z") and len(edited["updated_at"]) == len("2026-11-25T10:00:00.000Z")
    assert len(client.get("/projects/acme%2Fapi/issues").json()) == 4
    assert len(client.get("/projects/acme%2Fapi/issues", params={"state": "opened"}).json()) == 3


def test_gitlab_keyset_pagination_follows_cursor_links(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    for number in range(25):
        fake_gitlab.add_issue("acme/api", f"Issue {number}")
    params = {"pagination": "keyset", "order_by": "updated_at", "sort": "asc", "per_page": 10}

    pages = list(follow_links(gitlab_client(fake_gitlab), "/projects/acme%2Fapi/issues", params))

    assert [issue["iid"] for page in pages for issue in page.json()] == list(range(1, 26))
    assert "cursor=" in pages[0].links["next"]["url"]
    assert "X-Total" not in pages[0].headers
    assert "link" not in pages[-1].headers


def test_gitlab_moved_issue_is_closed_with_moved_to_id_and_deleted_issue_is_404(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_project("acme", "web")
    fake_gitlab.add_issue("acme/api", "Travelling")
    fake_gitlab.add_note("acme/api", 1, "Bring me along")
    fake_gitlab.add_issue("acme/api", "Gone")
    new = fake_gitlab.move_issue("acme/api", 1, "acme/web")
    fake_gitlab.delete_issue("acme/api", 2)
    client = gitlab_client(fake_gitlab)

    old = client.get("/projects/acme%2Fapi/issues/1").json()
    assert (old["state"], old["moved_to_id"]) == ("closed", new["id"])
    assert new["references"]["full"] == "acme/web#1"
    copied = client.get("/projects/acme%2Fweb/issues/1/notes", params={"sort": "asc"}).json()
    assert [(note["body"], note["system"]) for note in copied] == [
        ("Bring me along", False),
        ("moved from acme/api#1", True),
    ]
    assert client.get("/projects/acme%2Fapi/issues/2").json() == {"message": "404 Not found"}
    assert [issue["iid"] for issue in client.get("/projects/acme%2Fapi/issues").json()] == [1]


def test_gitlab_notes_include_system_notes_that_do_not_count_as_comments(fake_gitlab):
    fake_gitlab.add_user("alice")
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Crash")
    fake_gitlab.add_note("acme/api", 1, "Looking into it", author="alice")
    client = gitlab_client(fake_gitlab)
    alice_id = client.get("/users", params={"username": "alice"}).json()[0]["id"]

    client.put("/projects/acme%2Fapi/issues/1", json={"title": "Crash on start", "assignee_ids": [alice_id]})
    notes = client.get("/projects/acme%2Fapi/issues/1/notes", params={"sort": "asc"}).json()

    assert [(note["system"], note["body"]) for note in notes] == [
        (False, "Looking into it"),
        (True, "changed title from **Crash** to **Crash on start**"),
        (True, "assigned to @alice"),
    ]
    assert client.get("/projects/acme%2Fapi/issues/1").json()["user_notes_count"] == 1


def test_gitlab_create_and_update_issue_validate_like_gitlab(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    client = gitlab_client(fake_gitlab)

    missing = client.post("/projects/acme%2Fapi/issues", json={"description": "no title"})
    blank = client.post("/projects/acme%2Fapi/issues", json={"title": " "})
    created = client.post("/projects/acme%2Fapi/issues", json={"title": "Crash", "labels": "bug,ui"})
    closed = client.put("/projects/acme%2Fapi/issues/1", json={"state_event": "close", "remove_labels": "ui"})
    empty = client.put("/projects/acme%2Fapi/issues/1", json={})

    assert (missing.status_code, missing.json()) == (400, {"error": "title is missing"})
    assert (blank.status_code, blank.json()) == (400, {"message": {"title": ["can't be blank"]}})
    assert created.status_code == 201
    assert created.json()["labels"] == ["bug", "ui"]
    assert (closed.json()["state"], closed.json()["labels"]) == ("closed", ["bug"])
    assert closed.json()["closed_at"] == closed.json()["updated_at"]
    assert empty.status_code == 400


def test_gitlab_read_api_token_cannot_write():
    with running(FakeGitLab(scopes=("read_api",))) as fake:
        fake.add_project("acme", "api")
        client = gitlab_client(fake)
        assert client.get("/projects/acme%2Fapi/issues").status_code == 200
        refused = client.post("/projects/acme%2Fapi/issues", json={"title": "x"})
        assert (refused.status_code, refused.json()["error"]) == (403, "insufficient_scope")


def test_gitlab_hooks_need_a_maintainer(fake_gitlab):
    fake_gitlab.add_project("acme", "api", access_level=REPORTER)
    client = gitlab_client(fake_gitlab)
    hook = {"url": "https://preloop.test/hooks/gitlab", "token": "s3cret", "issues_events": True, "note_events": True}

    assert client.post("/projects/acme%2Fapi/hooks", json=hook).json() == {"message": "403 Forbidden"}
    fake_gitlab.set_access_level("acme/api", MAINTAINER)
    created = client.post("/projects/acme%2Fapi/hooks", json=hook)
    assert created.status_code == 201
    assert "token" not in created.json() and created.json()["issues_events"] is True
    assert fake_gitlab.hooks("acme/api")[0]["token"] == "s3cret"


def test_gitlab_throttling_answers_429_with_retry_after(fake_gitlab):
    client = gitlab_client(fake_gitlab)
    fake_gitlab.rate_limit_next(retry_after=1)

    throttled = client.get("/user")

    assert (throttled.status_code, throttled.text) == (429, "Retry later\n")
    assert (throttled.headers["Retry-After"], throttled.headers["RateLimit-Remaining"]) == ("1", "0")
    time.sleep(1.05)
    assert client.get("/user").status_code == 200


def test_gitlab_webhook_carries_the_secret_token_and_real_payload_shapes(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Crash", labels=["bug"])
    note = fake_gitlab.add_note("acme/api", 1, "Same here")

    headers, body = fake_gitlab.webhook(fake_gitlab.issue_event_payload("acme/api", 1, "open"), "s3cret")
    note_headers, note_body = fake_gitlab.webhook(fake_gitlab.note_event_payload("acme/api", 1, note["id"]), "s3cret")

    assert (headers["X-Gitlab-Event"], headers["X-Gitlab-Token"]) == ("Issue Hook", "s3cret")
    assert headers["X-Gitlab-Event-UUID"] != note_headers["X-Gitlab-Event-UUID"]
    issue_event = json.loads(body)
    assert (issue_event["object_kind"], issue_event["object_attributes"]["action"]) == ("issue", "open")
    assert issue_event["object_attributes"]["iid"] == 1
    assert issue_event["project"]["path_with_namespace"] == "acme/api"
    assert issue_event["labels"][0]["title"] == "bug"
    note_event = json.loads(note_body)
    assert note_headers["X-Gitlab-Event"] == "Note Hook"
    assert (note_event["object_attributes"]["noteable_type"], note_event["issue"]["iid"]) == ("Issue", 1)
