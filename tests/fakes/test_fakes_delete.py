"""Deleting issues in the fakes: GitHub's GraphQL `deleteIssue`, GitLab's and Jira's `DELETE`, with their refusals."""

from __future__ import annotations

from tests.fakes.github import FakeGitHub
from tests.fakes.gitlab import MAINTAINER
from tests.fakes.test_fakes_github_gitlab import github_client, gitlab_client, running
from tests.fakes.test_fakes_jira import cloud_client, server_client

MUTATION = "mutation($issueId: ID!) { deleteIssue(input: {issueId: $issueId}) { clientMutationId repository { nameWithOwner } } }"


def delete_on_github(client, node_id: str, query: str = MUTATION, variables: dict | None = None) -> dict:
    response = client.post("/graphql", json={"query": query, "variables": variables or {"issueId": node_id}})
    assert response.status_code == 200
    return response.json()


# --- GitHub ------------------------------------------------------------------------------------------------------
def test_github_deletes_an_issue_by_node_id_for_a_repository_admin(fake_github):
    fake_github.add_repo("octocat", "hello")
    node_id = fake_github.add_issue("octocat", "hello", "Spam")["node_id"]
    client = github_client(fake_github)

    answer = delete_on_github(client, node_id)

    assert answer == {"data": {"deleteIssue": {"clientMutationId": None,
                                               "repository": {"nameWithOwner": "octocat/hello"}}}}  # fmt: skip
    assert client.get("/repos/octocat/hello/issues/1").status_code == 410
    assert client.get("/repos/octocat/hello/issues").json() == []


def test_github_reads_the_input_object_from_variables_too(fake_github):
    fake_github.add_repo("octocat", "hello")
    node_id = fake_github.add_issue("octocat", "hello", "Spam")["node_id"]
    query = "mutation Delete($input: DeleteIssueInput!) { deleteIssue(input: $input) { clientMutationId } }"
    answer = delete_on_github(github_client(fake_github), node_id, query, {"input": {"issueId": node_id,
                                                                                    "clientMutationId": "x1"}})  # fmt: skip
    assert answer == {"data": {"deleteIssue": {"clientMutationId": "x1"}}}


def test_github_refuses_a_user_who_is_not_a_repository_admin(fake_github):
    fake_github.add_org("acme")
    fake_github.add_repo("acme", "api")
    node_id = fake_github.add_issue("acme", "api", "Keep me")["node_id"]
    fake_github.set_permission("acme", "api", "write")
    client = github_client(fake_github)

    answer = delete_on_github(client, node_id)

    assert answer["data"] == {"deleteIssue": None}
    assert answer["errors"][0]["type"] == "FORBIDDEN"
    assert "does not have the correct permissions to execute `DeleteIssue`" in answer["errors"][0]["message"]
    assert client.get("/repos/acme/api").json()["permissions"]["admin"] is False
    assert client.get("/repos/acme/api/issues/1").status_code == 200


def test_github_answers_not_found_for_unknown_deleted_or_invisible_issues(fake_github):
    fake_github.add_user("someone")
    fake_github.add_repo("someone", "secret", private=True)
    hidden = fake_github.add_issue("someone", "secret", "Not yours")["node_id"]
    fake_github.add_repo("octocat", "hello")
    gone = fake_github.add_issue("octocat", "hello", "Gone")["node_id"]
    fake_github.delete_issue("octocat", "hello", 1)
    client = github_client(fake_github)

    for node_id in (hidden, gone, "I_kwDOnonsense"):
        error = delete_on_github(client, node_id)["errors"][0]
        assert error["type"] == "NOT_FOUND" and node_id in error["message"]


def test_github_needs_a_repo_scope_to_delete():
    with running(FakeGitHub(scopes=("read:org",))) as fake:
        fake.add_repo("octocat", "hello")
        node_id = fake.add_issue("octocat", "hello", "Spam")["node_id"]
        error = delete_on_github(github_client(fake), node_id)["errors"][0]
        assert error["type"] == "INSUFFICIENT_SCOPES" and "'repo'" in error["message"]
        assert fake.issue("octocat", "hello", 1)["state"] == "open"


def test_github_graphql_knows_only_delete_issue_and_needs_the_token(fake_github):
    client = github_client(fake_github)
    answer = client.post(
        "/graphql", json={"query": 'mutation { closeIssue(input: {issueId: "x"}) { clientMutationId } }'}
    )
    assert answer.json()["errors"][0]["extensions"]["code"] == "undefinedField"
    assert github_client(fake_github, token="wrong").post("/graphql", json={"query": MUTATION}).status_code == 401


# --- GitLab ------------------------------------------------------------------------------------------------------
def test_gitlab_deletes_an_issue_for_a_project_owner(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Spam")
    client = gitlab_client(fake_gitlab)

    assert client.delete("/projects/acme%2Fapi/issues/1").status_code == 204

    assert client.get("/projects/acme%2Fapi/issues/1").json() == {"message": "404 Not found"}
    assert client.get("/projects/acme%2Fapi/issues").json() == []
    assert client.delete("/projects/acme%2Fapi/issues/1").status_code == 404


def test_gitlab_refuses_anyone_below_owner(fake_gitlab):
    fake_gitlab.add_project("acme", "api")
    fake_gitlab.add_issue("acme/api", "Keep me")
    fake_gitlab.set_access_level("acme/api", MAINTAINER)
    client = gitlab_client(fake_gitlab)

    response = client.delete("/projects/acme%2Fapi/issues/1")

    assert (response.status_code, response.json()) == (403, {"message": "403 Forbidden"})
    assert client.get("/projects/acme%2Fapi/issues/1").status_code == 200


# --- Jira --------------------------------------------------------------------------------------------------------
def test_jira_cloud_and_server_delete_an_issue(fake_jira_cloud, fake_jira_server):
    for fake, client, version in ((fake_jira_cloud, cloud_client(fake_jira_cloud), "3"),
                                  (fake_jira_server, server_client(fake_jira_server), "2")):  # fmt: skip
        fake.add_project("ABC")
        key = fake.add_issue("ABC", "Spam")["key"]
        assert client.delete(f"/rest/api/{version}/issue/{key}").status_code == 204
        assert client.get(f"/rest/api/{version}/issue/{key}").status_code == 404


def test_jira_refuses_an_issue_with_subtasks_unless_they_go_too(fake_jira_cloud):
    fake_jira_cloud.add_project("ABC")
    parent = fake_jira_cloud.add_issue("ABC", "Parent")["key"]
    subtask = fake_jira_cloud.add_subtask(parent, "Child")["key"]
    client = cloud_client(fake_jira_cloud)

    refused = client.delete(f"/rest/api/3/issue/{parent}", params={"deleteSubtasks": "false"})
    assert refused.status_code == 400 and "subtasks" in refused.json()["errorMessages"][0]
    assert fake_jira_cloud.subtask_keys(parent) == [subtask]
    assert client.get(f"/rest/api/3/issue/{subtask}").json()["fields"]["issuetype"]["subtask"] is True

    assert client.delete(f"/rest/api/3/issue/{parent}", params={"deleteSubtasks": "true"}).status_code == 204
    assert client.get(f"/rest/api/3/issue/{subtask}").status_code == 404


def test_jira_deleting_needs_the_delete_issues_permission(fake_jira_server):
    fake_jira_server.add_project("ABC")
    key = fake_jira_server.add_issue("ABC", "Keep me")["key"]
    fake_jira_server.set_delete_permission("ABC", False)
    client = server_client(fake_jira_server)

    response = client.delete(f"/rest/api/2/issue/{key}")

    assert response.status_code == 403
    assert response.json()["errorMessages"] == ["You do not have permission to delete issues in this project."]
    assert client.put(f"/rest/api/2/issue/{key}", json={"fields": {"summary": "Still editable"}}).status_code == 204
