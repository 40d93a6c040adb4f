"""The clients delete issues: GitHub through GraphQL, GitLab and Jira through DELETE; refusals say what to do."""

import pytest

from apps.trackers.clients.base import (
    TrackerGone,
    TrackerNotFound,
    TrackerPermissionError,
    TrackerRateLimited,
    TrackerValidationError,
)
from apps.trackers.clients.github import GitHubClient
from apps.trackers.clients.gitlab import GitLabClient
from apps.trackers.clients.jira import JiraClient
from tests.fakes.gitlab import MAINTAINER


def github_client(fake) -> GitHubClient:
    return GitHubClient(base_url=fake.url, token=fake.token, sleep=lambda seconds: None)


class TestGitHub:
    @pytest.fixture
    def github(self, fake_github):
        fake_github.add_org("acme")
        fake_github.add_repo("acme", "api")
        fake_github.add_issue("acme", "api", "Spam")
        return fake_github

    def test_it_deletes_through_the_graphql_mutation_with_the_issues_node_id(self, github):
        github_client(github).delete_issue("acme", "api", "#1")
        graphql = [request for request in github.requests if request.path == "/graphql"]
        assert len(graphql) == 1 and graphql[0].json()["variables"]["issueId"].startswith("I_kwDO")
        assert list(github_client(github).iter_issues("acme", "api")) == []
        with pytest.raises(TrackerGone):
            github_client(github).get_issue("acme", "api", "#1")

    def test_a_user_who_is_not_a_repository_admin_is_told_so(self, github):
        github.set_permission("acme", "api", "maintain")
        with pytest.raises(TrackerPermissionError, match="must be an admin of the repository to delete issues"):
            github_client(github).delete_issue("acme", "api", "#1")
        assert github_client(github).get_issue("acme", "api", "#1").title == "Spam"

    def test_an_already_deleted_issue_is_gone_and_an_unknown_one_not_found(self, github):
        github.delete_issue("acme", "api", 1)
        with pytest.raises(TrackerGone):
            github_client(github).delete_issue("acme", "api", "#1")
        with pytest.raises(TrackerNotFound):
            github_client(github).delete_issue("acme", "api", "#99")

    def test_a_transferred_issue_is_not_followed_to_be_deleted_elsewhere(self, github):
        github.add_repo("acme", "web")
        github.transfer_issue("acme", "api", 1, "acme", "web")
        with pytest.raises(TrackerGone, match="moved to another repository"):
            github_client(github).delete_issue("acme", "api", "#1")
        assert github.issue("acme", "web", 1)["state"] == "open"

    def test_graphql_errors_become_typed_errors(self, github):
        body = {"data": {"deleteIssue": None}, "errors": [{"type": "RATE_LIMITED", "message": "API rate limit"}]}
        github.fail_next(200, body=body, path_contains="/graphql")
        with pytest.raises(TrackerRateLimited):
            github_client(github).delete_issue("acme", "api", "#1")
        github.fail_next(200, body={"errors": [{"type": "NOT_FOUND", "message": "Could not resolve"}]},
                         path_contains="/graphql")  # fmt: skip
        with pytest.raises(TrackerNotFound, match="no issue acme/api#1 to delete"):
            github_client(github).delete_issue("acme", "api", "#1")

    def test_github_enterprise_serves_graphql_beside_rest(self):
        enterprise = GitHubClient(base_url="https://git.example.com/api/v3", token="t")
        assert enterprise.graphql_url == "https://git.example.com/api/graphql"
        assert (
            GitHubClient(base_url="https://api.github.com", token="t").graphql_url == "https://api.github.com/graphql"
        )


class TestGitLab:
    @pytest.fixture
    def gitlab(self, fake_gitlab):
        fake_gitlab.add_group("acme")
        fake_gitlab.add_project("acme", "api")
        fake_gitlab.add_issue("acme/api", "Spam")
        return fake_gitlab

    def test_it_deletes_an_issue(self, gitlab):
        GitLabClient(base_url=gitlab.url, token=gitlab.token).delete_issue("acme", "api", "#1")
        assert [r.method for r in gitlab.requests] == ["DELETE"]
        with pytest.raises(TrackerNotFound):
            GitLabClient(base_url=gitlab.url, token=gitlab.token).get_issue("acme", "api", "#1")

    def test_a_maintainer_is_told_only_owners_may(self, gitlab):
        gitlab.set_access_level("acme/api", MAINTAINER)
        with pytest.raises(TrackerPermissionError, match="only project owners and administrators can delete issues"):
            GitLabClient(base_url=gitlab.url, token=gitlab.token).delete_issue("acme", "api", "#1")

    def test_a_read_only_token_is_told_its_scope(self, gitlab):
        gitlab.scopes = ("read_api",)
        with pytest.raises(TrackerPermissionError, match="`api` scope"):
            GitLabClient(base_url=gitlab.url, token=gitlab.token).delete_issue("acme", "api", "#1")


class TestJira:
    def test_cloud_and_server_delete_without_touching_subtasks(self, fake_jira_cloud, fake_jira_server):
        clients = (
            (fake_jira_cloud, JiraClient(base_url=fake_jira_cloud.url, username="ana@acme.com", token="jira-token")),
            (fake_jira_server, JiraClient(base_url=fake_jira_server.url, token="jira-pat")),
        )
        for fake, client in clients:
            fake.add_project("PROJ")
            key = fake.add_issue("PROJ", "Spam")["key"]
            client.delete_issue("", "PROJ", key)
            with pytest.raises(TrackerNotFound):
                client.get_issue("", "PROJ", key)
            [delete] = [r for r in fake.requests if r.method == "DELETE"]
            assert delete.arg("deleteSubtasks") == "false"
            assert f"/rest/api/{'3' if fake.cloud else '2'}/issue/{key}" in delete.path

    def test_an_issue_with_subtasks_is_refused_clearly(self, fake_jira_cloud):
        fake_jira_cloud.add_project("PROJ")
        parent = fake_jira_cloud.add_issue("PROJ", "Parent")["key"]
        fake_jira_cloud.add_subtask(parent, "Child")
        client = JiraClient(base_url=fake_jira_cloud.url, username="ana@acme.com", token="jira-token", cloud=True)
        with pytest.raises(TrackerValidationError, match=f"{parent} has subtasks; delete them first"):
            client.delete_issue("", "PROJ", parent)
        assert fake_jira_cloud.issue(parent)["key"] == parent

    def test_no_delete_permission_is_named(self, fake_jira_server):
        fake_jira_server.add_project("PROJ")
        key = fake_jira_server.add_issue("PROJ", "Keep")["key"]
        fake_jira_server.set_delete_permission("PROJ", False)
        with pytest.raises(TrackerPermissionError, match="needs the Delete Issues permission in project PROJ"):
            JiraClient(base_url=fake_jira_server.url, token="jira-pat", cloud=False).delete_issue("", "PROJ", key)
