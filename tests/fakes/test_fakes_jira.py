# ruff: noqa: F811
"""The Jira fake speaks Jira Cloud's and Data Center's REST dialects closely enough to test sync clients against."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx2
import pytest

from tests.fakes.jira import FakeJira

# The fixtures by import until tests/conftest.py provides them; pytest sees them as parameters (hence F811).
from tests.fakes.jira_fixtures import fake_jira_cloud, fake_jira_server  # noqa: F401

ADF_HELLO = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Hello"}]}],
}


def cloud_client(fake: FakeJira) -> httpx2.Client:
    return httpx2.Client(base_url=fake.url, auth=("ana@acme.com", "jira-token"))


def server_client(fake: FakeJira) -> httpx2.Client:
    return httpx2.Client(base_url=fake.url, headers={"Authorization": "Bearer jira-pat"})


def all_keys(client: httpx2.Client, jql: str, page_size: int) -> list[str]:
    keys, token = [], None
    while True:
        body = {"jql": jql, "fields": ["summary"], "maxResults": page_size} | (
            {"nextPageToken": token} if token else {}
        )
        page = client.post("/rest/api/3/search/jql", json=body).json()
        keys += [issue["key"] for issue in page["issues"]]
        token = page.get("nextPageToken")
        if page["isLast"]:
            assert token is None
            return keys


# --- authentication ------------------------------------------------------------------------------
def test_cloud_accepts_only_email_and_api_token(fake_jira_cloud):
    me = cloud_client(fake_jira_cloud).get("/rest/api/3/myself")
    assert me.status_code == 200
    assert me.json()["emailAddress"] == "ana@acme.com" and me.json()["accountId"].startswith("712020:")
    wrong = httpx2.get(f"{fake_jira_cloud.url}/rest/api/3/myself", auth=("ana@acme.com", "nope"))
    assert wrong.status_code == 401 and wrong.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    bearer = httpx2.get(f"{fake_jira_cloud.url}/rest/api/3/myself", headers={"Authorization": "Bearer jira-token"})
    assert bearer.status_code == 401
    assert httpx2.get(f"{fake_jira_cloud.url}/rest/api/3/issue/ABC-1").status_code == 401


def test_server_accepts_password_or_personal_access_token(fake_jira_server):
    assert fake_jira_server.url.endswith("/jira")
    by_password = httpx2.get(f"{fake_jira_server.url}/rest/api/2/myself", auth=("ana", "jira-token")).json()
    by_token = server_client(fake_jira_server).get("/rest/api/2/myself").json()
    assert by_password["name"] == by_token["name"] == "ana" and by_token["key"].startswith("JIRAUSER")
    wrong = httpx2.get(f"{fake_jira_server.url}/rest/api/2/myself", headers={"Authorization": "Bearer stale"})
    assert wrong.status_code == 401 and wrong.headers["X-Seraph-LoginReason"] == "AUTHENTICATED_FAILED"
    missing = httpx2.get(f"{fake_jira_server.url}/rest/api/2/myself")
    assert missing.status_code == 401 and missing.json()["errorMessages"][0].startswith("You are not authenticated")
    assert server_client(fake_jira_server).get("/rest/api/3/myself").status_code == 404  # no v3 on Data Center


@pytest.mark.parametrize(("deployment", "deployment_type"), [("cloud", "Cloud"), ("server", "Server")])
def test_server_info_names_the_deployment_without_credentials(deployment, deployment_type):
    fake = FakeJira(deployment).start()
    try:
        info = httpx2.get(f"{fake.url}/rest/api/2/serverInfo").json()
        assert info["deploymentType"] == deployment_type and info["baseUrl"] == fake.url and info["version"]
    finally:
        fake.stop()


def test_projects_are_paged_on_cloud_and_a_plain_list_on_server(fake_jira_cloud, fake_jira_server):
    for key in ("AAA", "BBB", "CCC"):
        fake_jira_cloud.add_project(key)
        fake_jira_server.add_project(key)
    page = cloud_client(fake_jira_cloud).get("/rest/api/3/project/search", params={"maxResults": 2}).json()
    assert [p["key"] for p in page["values"]] == ["AAA", "BBB"] and page["total"] == 3 and page["isLast"] is False
    last = cloud_client(fake_jira_cloud).get("/rest/api/3/project/search", params={"startAt": 2}).json()
    assert [p["key"] for p in last["values"]] == ["CCC"] and last["isLast"] is True
    assert [p["key"] for p in server_client(fake_jira_server).get("/rest/api/2/project").json()] == [
        "AAA",
        "BBB",
        "CCC",
    ]
    missing = server_client(fake_jira_server).get("/rest/api/2/project/NOPE")
    assert missing.status_code == 404 and missing.json()["errorMessages"] == [
        "No project could be found with key 'NOPE'."
    ]


# --- search --------------------------------------------------------------------------------------
def test_enhanced_search_pages_with_next_page_token_and_returns_ids_by_default(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    for number in range(7):
        fake_jira_cloud.add_issue("ABC", f"issue {number}")
    client = cloud_client(fake_jira_cloud)
    assert all_keys(client, "project = ABC ORDER BY updated ASC", 3) == [f"ABC-{n}" for n in range(1, 8)]
    bare = client.get("/rest/api/3/search/jql", params={"jql": "project = ABC ORDER BY updated DESC", "maxResults": 2})
    assert bare.json()["issues"] == [{"id": "10007"}, {"id": "10006"}] and "nextPageToken" in bare.json()


def test_enhanced_search_does_not_skip_issues_updated_while_paging(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    for number in range(6):
        fake_jira_cloud.add_issue("ABC", f"issue {number}")
    client = cloud_client(fake_jira_cloud)
    jql = "project = ABC ORDER BY updated ASC"
    first = client.post("/rest/api/3/search/jql", json={"jql": jql, "fields": ["updated"], "maxResults": 3}).json()
    fake_jira_cloud.update_issue("ABC-1", summary="edited while the client was paging")
    rest = client.post(
        "/rest/api/3/search/jql", json={"jql": jql, "fields": ["updated"], "nextPageToken": first["nextPageToken"]}
    ).json()
    keys = [issue["key"] for issue in first["issues"] + rest["issues"]]
    assert keys == [f"ABC-{n}" for n in (1, 2, 3, 4, 5, 6, 1)]  # the edited issue comes again, nothing is skipped
    other_query = client.post(
        "/rest/api/3/search/jql", json={"jql": "project = ABC", "nextPageToken": first["nextPageToken"]}
    )
    assert other_query.status_code == 400


def test_cloud_removed_the_old_search_endpoint_with_410(fake_jira_cloud):
    client = cloud_client(fake_jira_cloud)
    for response in (
        client.get("/rest/api/3/search", params={"jql": "project = ABC"}),
        client.post("/rest/api/2/search", json={"jql": "project = ABC"}),
    ):
        assert response.status_code == 410
        assert response.json()["errorMessages"][0].startswith(
            "The requested API has been removed. Please migrate to the /rest/api/3/search/jql API."
        )


def test_cloud_refuses_unbounded_jql(fake_jira_cloud):
    response = cloud_client(fake_jira_cloud).post("/rest/api/3/search/jql", json={"jql": "ORDER BY updated DESC"})
    assert response.status_code == 400
    assert response.json()["errorMessages"] == [
        "Unbounded JQL queries are not allowed here. Please add a search restriction to your query."
    ]


def test_server_search_pages_with_start_at_and_caps_max_results(fake_jira_server):
    fake_jira_server.add_project("OPS")
    for number in range(150):
        fake_jira_server.add_issue("OPS", f"issue {number}")
    client = server_client(fake_jira_server)
    first = client.get("/rest/api/2/search", params={"jql": "project = OPS ORDER BY key ASC", "maxResults": 500}).json()
    assert (first["startAt"], first["maxResults"], first["total"], len(first["issues"])) == (0, 100, 150, 100)
    assert "comment" not in first["issues"][0]["fields"] and "summary" in first["issues"][0]["fields"]  # *navigable
    second = client.post("/rest/api/2/search", json={"jql": "project = OPS ORDER BY key ASC", "startAt": 100}).json()
    assert [i["key"] for i in second["issues"]][:2] == ["OPS-101", "OPS-102"] and len(second["issues"]) == 50


def test_updated_bounds_are_minutes_compared_to_millisecond_timestamps(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    for stamp in ("09:59:59.999", "10:00:00.000", "10:00:30.000", "10:01:00.000"):
        fake_jira_cloud.add_issue("ABC", stamp, updated=f"2026-11-25T{stamp}Z")
    client = cloud_client(fake_jira_cloud)

    def summaries(jql: str) -> list[str]:
        body = {"jql": jql, "fields": ["summary", "updated"]}
        return [i["fields"]["summary"] for i in client.post("/rest/api/3/search/jql", json=body).json()["issues"]]

    assert summaries('project = ABC AND updated >= "2026-11-25 10:00" ORDER BY updated ASC') == [
        "10:00:00.000",
        "10:00:30.000",
        "10:01:00.000",
    ]
    assert summaries("project = ABC AND updated > '2026/11/25 10:00' ORDER BY updated") == [
        "10:00:30.000",
        "10:01:00.000",
    ]
    assert summaries('project = "ABC" AND updated < "2026-11-25 10:01" ORDER BY created DESC')[0] == "10:00:30.000"
    assert fake_jira_cloud.issue("ABC-3")["fields"]["updated"] == "2026-11-25T10:00:30.000+0000"
    unquoted = client.post("/rest/api/3/search/jql", json={"jql": "project = ABC AND updated >= 2026-11-25 10:00"})
    assert unquoted.status_code == 400


def test_jql_dates_are_read_in_the_users_time_zone():
    fake = FakeJira("cloud", time_zone="Europe/Berlin").start()
    try:
        fake.add_project("ABC")
        fake.add_issue("ABC", "at ten UTC", updated="2026-11-25T10:00:00Z")
        client = cloud_client(fake)
        assert client.get("/rest/api/3/myself").json()["timeZone"] == "Europe/Berlin"
        found = client.post(
            "/rest/api/3/search/jql",
            json={"jql": 'project = ABC AND updated >= "2026-11-25 11:00"', "fields": ["updated"]},
        )
        assert found.json()["issues"][0]["fields"]["updated"] == "2026-11-25T11:00:00.000+0100"
        later = client.post("/rest/api/3/search/jql", json={"jql": 'project = ABC AND updated > "2026-11-25 11:00"'})
        assert later.json()["issues"] == []
    finally:
        fake.stop()


def test_jql_outside_the_subset_is_a_400_in_jiras_words(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    client = cloud_client(fake_jira_cloud)
    for jql, message in [
        ("project = ABC OR project = XYZ", "Error in the JQL Query: 'OR' is not supported by this fake (AND only)."),
        ("sprint = 5", "Field 'sprint' does not exist or you do not have permission to view it."),
        ("project = NOPE", "The value 'NOPE' does not exist for the field 'project'."),
        ("key = ABC-99", "An issue with key 'ABC-99' does not exist for field 'key'."),
    ]:
        response = client.post("/rest/api/3/search/jql", json={"jql": jql})
        assert response.status_code == 400 and response.json() == {"errorMessages": [message], "errors": {}}, jql


# --- issues --------------------------------------------------------------------------------------
def test_descriptions_are_adf_on_cloud_v3_and_wiki_markup_on_server(fake_jira_cloud, fake_jira_server):
    fake_jira_cloud.add_project("ABC")
    fake_jira_server.add_project("OPS")
    fake_jira_cloud.add_issue("ABC", "plain", description="Hello")
    fake_jira_server.add_issue("OPS", "wiki", description="h1. Hello\n*bold*")
    cloud = cloud_client(fake_jira_cloud)
    assert cloud.get("/rest/api/3/issue/ABC-1").json()["fields"]["description"] == ADF_HELLO
    assert cloud.get("/rest/api/2/issue/ABC-1").json()["fields"]["description"] == "Hello"
    assert (
        server_client(fake_jira_server).get("/rest/api/2/issue/OPS-1").json()["fields"]["description"]
        == "h1. Hello\n*bold*"
    )
    with pytest.raises(ValueError, match="wiki markup"):
        fake_jira_server.add_issue("OPS", "adf", description=ADF_HELLO)
    as_string = cloud.put("/rest/api/3/issue/ABC-1", json={"fields": {"description": "not a document"}})
    assert as_string.status_code == 400
    assert as_string.json()["errors"] == {
        "description": "Operation value must be an Atlassian Document (see the Atlassian Document Format)"
    }


def test_create_validates_fields_like_jira(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    client = cloud_client(fake_jira_cloud)
    missing = client.post(
        "/rest/api/3/issue", json={"fields": {"project": {"key": "ABC"}, "issuetype": {"name": "Task"}}}
    )
    assert missing.status_code == 400
    assert missing.json() == {"errorMessages": [], "errors": {"summary": "You must specify a summary of the issue."}}
    with_status = client.post(
        "/rest/api/3/issue",
        json={
            "fields": {
                "project": {"key": "ABC"},
                "issuetype": {"name": "Task"},
                "summary": "x",
                "status": {"name": "Done"},
            }
        },
    )
    assert with_status.json()["errors"] == {
        "status": "Field 'status' cannot be set. It is not on the appropriate screen, or unknown."
    }
    fields = {
        "project": {"key": "ABC"},
        "issuetype": {"name": "Bug"},
        "summary": "Crash",
        "labels": ["sync"],
        "description": ADF_HELLO,
    }
    created = client.post("/rest/api/3/issue", json={"fields": fields})
    assert created.status_code == 201 and created.json()["key"] == "ABC-1"
    assert set(created.json()) == {"id", "key", "self"}
    issue = fake_jira_cloud.issue("ABC-1")["fields"]
    assert (issue["issuetype"]["name"], issue["labels"], issue["reporter"]["emailAddress"]) == (
        "Bug",
        ["sync"],
        "ana@acme.com",
    )


def test_edits_bump_updated_but_never_set_status(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_issue("ABC", "Crash", labels=["old", "keep"])
    before = fake_jira_cloud.issue("ABC-1")["fields"]["updated"]
    client = cloud_client(fake_jira_cloud)
    status = client.put("/rest/api/3/issue/ABC-1", json={"fields": {"status": {"name": "Done"}}})
    assert status.status_code == 400 and "status" in status.json()["errors"]
    update = {"fields": {"summary": "Crash on start"}, "update": {"labels": [{"add": "new"}, {"remove": "old"}]}}
    assert client.put("/rest/api/3/issue/ABC-1", json=update).status_code == 204
    fields = fake_jira_cloud.issue("ABC-1")["fields"]
    assert (fields["summary"], fields["labels"]) == ("Crash on start", ["keep", "new"]) and fields["updated"] > before
    assert (
        client.put("/rest/api/3/issue/ABC-1", content=b"{}", headers={"Content-Type": "text/plain"}).status_code == 415
    )


def test_transitions_follow_the_workflow(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_issue("ABC", "Crash")
    client = cloud_client(fake_jira_cloud)
    offered = client.get("/rest/api/3/issue/ABC-1/transitions").json()["transitions"]
    assert [(t["id"], t["to"]["name"], t["to"]["statusCategory"]["key"]) for t in offered] == [
        ("21", "In Progress", "indeterminate"),
        ("31", "Done", "done"),
    ]
    assert client.post("/rest/api/3/issue/ABC-1/transitions", json={"transition": {"id": "99"}}).json() == {
        "errorMessages": ["Transition id '99' is not valid for this issue."],
        "errors": {},
    }
    assert client.post("/rest/api/3/issue/ABC-1/transitions", json={"transition": {"id": "31"}}).status_code == 204
    fields = fake_jira_cloud.issue("ABC-1")["fields"]
    assert fields["status"]["name"] == "Done" and fields["resolution"]["name"] == "Done" and fields["resolutiondate"]
    fake_jira_cloud.set_workflow({"Open": "new", "Closed": "done"}, [{"id": "2", "to": "Closed", "from": ["Open"]}])
    fake_jira_cloud.add_issue("ABC", "Custom", status="Open")
    assert [t["id"] for t in client.get("/rest/api/3/issue/ABC-2/transitions").json()["transitions"]] == ["2"]


def test_comments_page_and_move_the_issues_updated(fake_jira_server):
    fake_jira_server.add_project("OPS")
    fake_jira_server.add_issue("OPS", "Crash")
    for number in range(7):
        fake_jira_server.add_comment("OPS-1", f"comment {number}", author="bob")
    client = server_client(fake_jira_server)
    page = client.get("/rest/api/2/issue/OPS-1/comment", params={"startAt": 3, "maxResults": 3}).json()
    assert (page["startAt"], page["maxResults"], page["total"]) == (3, 3, 7)
    assert [c["body"] for c in page["comments"]] == ["comment 3", "comment 4", "comment 5"]
    assert page["comments"][0]["author"]["name"] == "bob"
    before = fake_jira_server.issue("OPS-1")["fields"]["updated"]
    posted = client.post("/rest/api/2/issue/OPS-1/comment", json={"body": "from the API"})
    assert posted.status_code == 201 and posted.json()["author"]["name"] == "ana"
    assert fake_jira_server.issue("OPS-1")["fields"]["updated"] == posted.json()["created"] > before
    empty = client.post("/rest/api/2/issue/OPS-1/comment", json={"body": ""})
    assert empty.json()["errors"] == {"comment": "Comment body can not be empty!"}


def test_a_moved_issue_answers_under_its_new_key(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_project("XYZ")
    fake_jira_cloud.add_issue("XYZ", "already there")
    fake_jira_cloud.add_issue("ABC", "will move")
    assert fake_jira_cloud.move_issue("ABC-1", "XYZ") == "XYZ-2"
    client = cloud_client(fake_jira_cloud)
    old = client.get("/rest/api/3/issue/ABC-1")
    assert old.status_code == 200 and old.json()["key"] == "XYZ-2" and old.json()["fields"]["project"]["key"] == "XYZ"
    found = client.post("/rest/api/3/search/jql", json={"jql": "key = ABC-1", "fields": ["summary"]}).json()["issues"]
    assert [i["key"] for i in found] == ["XYZ-2"]
    assert client.get("/rest/api/3/issue/ABC-2").json() == {
        "errorMessages": ["Issue does not exist or you do not have permission to see it."],
        "errors": {},
    }


def test_assignees_are_account_ids_on_cloud_and_names_on_server(fake_jira_cloud, fake_jira_server):
    bob = fake_jira_cloud.add_user("bob@acme.com", "Bob Brown")
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_issue("ABC", "Crash")
    cloud = cloud_client(fake_jira_cloud)
    assert [u["accountId"] for u in cloud.get("/rest/api/3/user/search", params={"query": "bro"}).json()] == [
        bob["accountId"]
    ]
    assert cloud.put("/rest/api/3/issue/ABC-1/assignee", json={"accountId": bob["accountId"]}).status_code == 204
    assert fake_jira_cloud.issue("ABC-1")["fields"]["assignee"]["displayName"] == "Bob Brown"
    fake_jira_server.add_user("bob", "Bob Brown")
    fake_jira_server.add_project("OPS")
    fake_jira_server.add_issue("OPS", "Crash")
    server = server_client(fake_jira_server)
    assert [u["name"] for u in server.get("/rest/api/2/user/search", params={"username": "bob"}).json()] == ["bob"]
    assert server.put("/rest/api/2/issue/OPS-1/assignee", json={"name": "bob"}).status_code == 204
    assert server.put("/rest/api/2/issue/OPS-1/assignee", json={"name": "nobody"}).status_code == 400


def test_hidden_projects_404_and_read_only_projects_403(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_project("SEC")
    fake_jira_cloud.add_issue("ABC", "Crash")
    fake_jira_cloud.add_issue("SEC", "Secret")
    fake_jira_cloud.set_project_permissions("SEC", browse=False)
    fake_jira_cloud.set_project_permissions("ABC", write=False)
    client = cloud_client(fake_jira_cloud)
    assert client.get("/rest/api/3/issue/SEC-1").status_code == 404
    assert client.post("/rest/api/3/search/jql", json={"jql": "project = SEC"}).status_code == 400
    edit = client.put("/rest/api/3/issue/ABC-1", json={"fields": {"summary": "x"}})
    assert edit.status_code == 403 and edit.json()["errorMessages"] == [
        "You do not have permission to edit issues in this project."
    ]


# --- rate limits and webhooks --------------------------------------------------------------------
def test_rate_limit_answers_429_with_retry_after_then_recovers(fake_jira_cloud):
    fake_jira_cloud.rate_limit_next(retry_after=7)
    client = cloud_client(fake_jira_cloud)
    limited = client.get("/rest/api/3/myself")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.headers["X-RateLimit-Remaining"] == "0" and limited.headers["RateLimit-Reason"] == "jira-burst-based"
    assert limited.headers["X-RateLimit-Reset"].endswith("Z")
    assert client.get("/rest/api/3/myself").status_code == 200


def test_webhooks_are_signed_with_hmac_sha256_of_the_raw_body(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.add_issue("ABC", "Crash", description="Hello")
    fake_jira_cloud.transition_issue("ABC-1", "In Progress")
    payload = fake_jira_cloud.issue_event_payload("ABC-1", "jira:issue_updated")
    headers, body = fake_jira_cloud.webhook(payload, secret="s3cret")
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["X-Hub-Signature"], expected)
    assert not hmac.compare_digest(
        headers["X-Hub-Signature"], "sha256=" + hmac.new(b"other", body, hashlib.sha256).hexdigest()
    )
    sent = json.loads(body)
    assert (sent["webhookEvent"], sent["issue_event_type_name"]) == ("jira:issue_updated", "issue_generic")
    assert (
        sent["changelog"]["items"][0].items()
        >= {"field": "status", "fromString": "To Do", "toString": "In Progress"}.items()
    )
    assert sent["issue"]["fields"]["project"]["key"] == "ABC" and sent["issue"]["fields"]["description"] == "Hello"
    assert sent["issue"]["self"].endswith(f"/rest/api/2/issue/{sent['issue']['id']}") and sent["user"]["accountId"]
    assert "X-Hub-Signature" not in fake_jira_cloud.webhook(payload)[0]
    comment = fake_jira_cloud.add_comment("ABC-1", "Looks bad")
    event = fake_jira_cloud.comment_event_payload("ABC-1", comment["id"])
    assert (event["webhookEvent"], event["comment"]["body"], event["issue"]["key"]) == (
        "comment_created",
        "Looks bad",
        "ABC-1",
    )
    created_event = fake_jira_cloud.issue_event_payload("ABC-1", "jira:issue_created")
    fake_jira_cloud.delete_issue("ABC-1")
    assert (
        fake_jira_cloud.issue_event_payload("ABC-1", "jira:issue_deleted")["issue"]["id"]
        == created_event["issue"]["id"]
    )


def test_the_clock_stamps_every_write_strictly_later(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    fake_jira_cloud.clock.set("2026-11-25T10:00:00Z")
    first, second = fake_jira_cloud.add_issue("ABC", "one"), fake_jira_cloud.add_issue("ABC", "two")
    stamps = [fake_jira_cloud.issue(issue["key"])["fields"]["created"] for issue in (first, second)]
    assert stamps == ["2026-11-25T10:00:00.000+0000", "2026-11-25T10:00:00.001+0000"]
    fake_jira_cloud.clock.advance(5 * 60)
    fake_jira_cloud.update_issue("ABC-1", labels=["later"])
    assert fake_jira_cloud.issue("ABC-1")["fields"]["updated"] == "2026-11-25T10:05:00.000+0000"
