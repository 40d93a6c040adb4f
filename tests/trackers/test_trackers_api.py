import pytest
from django.db import connection

from apps.trackers.models import Tracker
from tests.conftest import client_for
from tests.crud import OwnedResourceContract
from tests.trackers.factories import organization_for, project_for, tracker_for

pytestmark = pytest.mark.django_db


class TestTrackers(OwnedResourceContract):
    collection = "/api/v1/trackers"
    required_fields = ("name", "tracker_type", "api_token")
    shown_once_fields = ("webhook_secret",)

    def make(self, user):
        return tracker_for(user)

    def create_payload(self, user):
        return {
            "name": "Jira",
            "tracker_type": "jira",
            "url": "https://acme.atlassian.net",
            "username": "ana@acme.com",
            "api_token": "jira-token-abcdef",
        }

    def update_payload(self):
        return {"name": "Renamed", "is_active": False}


class TestOrganizations(OwnedResourceContract):
    collection = "/api/v1/organizations"
    required_fields = ("tracker_id", "name", "identifier")

    def make(self, user):
        return organization_for(user)

    def create_payload(self, user):
        return {"tracker_id": str(tracker_for(user).id), "name": "Acme", "identifier": "acme"}

    def update_payload(self):
        return {"name": "Acme Inc", "description": "The main org"}


class TestProjects(OwnedResourceContract):
    collection = "/api/v1/projects"
    required_fields = ("organization_id", "name", "identifier")

    def make(self, user):
        return project_for(user)

    def create_payload(self, user):
        return {"organization_id": str(organization_for(user).id), "name": "API", "identifier": "api"}

    def update_payload(self):
        return {"name": "Public API", "settings": {"duplicate_threshold": 0.9}}


def test_the_token_is_never_returned_only_a_hint(alice):
    client = client_for(alice)
    created = client.post(
        "/api/v1/trackers", {"name": "GH", "tracker_type": "github", "api_token": "ghp_abcdefghijklmnop"}, format="json"
    ).json()
    for body in [
        created,
        client.get(f"/api/v1/trackers/{created['id']}").json(),
        client.get("/api/v1/trackers").json(),
    ]:
        assert "ghp_abcdefghijklmnop" not in str(body)
    assert created["api_token_hint"] == "••••mnop"
    assert created["url"] == "https://api.github.com"


def test_the_token_is_encrypted_at_rest(alice):
    tracker = tracker_for(alice, api_token="ghp_plaintext_must_not_appear")
    with connection.cursor() as cursor:
        cursor.execute("SELECT api_token FROM trackers_tracker WHERE id = %s", [tracker.id])
        stored = cursor.fetchone()[0]
    assert "ghp_plaintext_must_not_appear" not in stored
    assert Tracker.objects.get(id=tracker.id).api_token == "ghp_plaintext_must_not_appear"


def test_updating_without_a_token_keeps_the_old_one(alice):
    tracker = tracker_for(alice, api_token="ghp_keep_me_please")
    client_for(alice).put(f"/api/v1/trackers/{tracker.id}", {"name": "Renamed"}, format="json")
    assert Tracker.objects.get(id=tracker.id).api_token == "ghp_keep_me_please"


def test_jira_needs_its_url(alice):
    response = client_for(alice).post(
        "/api/v1/trackers", {"name": "J", "tracker_type": "jira", "api_token": "t"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


def test_an_unknown_tracker_type_is_named(alice):
    response = client_for(alice).post(
        "/api/v1/trackers", {"name": "X", "tracker_type": "trello", "api_token": "t"}, format="json"
    )
    assert response.status_code == 400
    assert "tracker_type" in response.json()["errors"]


def test_production_insists_on_https(alice, settings):
    settings.ALLOW_INSECURE_TRACKER_URLS = False
    response = client_for(alice).post(
        "/api/v1/trackers",
        {"name": "GL", "tracker_type": "gitlab", "url": "http://gitlab.internal", "api_token": "t"},
        format="json",
    )
    assert response.status_code == 400
    assert "https" in response.json()["errors"]["url"][0]


def test_duplicate_names_are_a_400_not_a_500(alice):
    tracker_for(alice, name="Same")
    response = client_for(alice).post(
        "/api/v1/trackers", {"name": "Same", "tracker_type": "github", "api_token": "t"}, format="json"
    )
    assert response.status_code == 400
    assert "name" in response.json()["errors"]


def test_an_organization_cannot_use_another_users_tracker(alice, bob):
    bobs_tracker = tracker_for(bob)
    response = client_for(alice).post(
        "/api/v1/organizations", {"tracker_id": str(bobs_tracker.id), "name": "X", "identifier": "x"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {"tracker_id": ["Not found."]}


def test_a_project_cannot_use_another_users_organization(alice, bob):
    bobs_org = organization_for(bob)
    response = client_for(alice).post(
        "/api/v1/projects", {"organization_id": str(bobs_org.id), "name": "X", "identifier": "x"}, format="json"
    )
    assert response.status_code == 400
    assert "organization_id" in response.json()["errors"]


def test_an_organization_cannot_be_moved_to_another_tracker(alice):
    organization = organization_for(alice)
    response = client_for(alice).put(
        f"/api/v1/organizations/{organization.id}",
        {"tracker_id": str(tracker_for(alice, name="Other").id)},
        format="json",
    )
    assert response.status_code == 400
    assert "tracker_id" in response.json()["errors"]


def test_organization_projects_lists_that_organizations_projects_only(alice, bob):
    organization = organization_for(alice, identifier="acme")
    inside = project_for(alice, identifier="web", organization=organization)
    outside = project_for(alice, identifier="other")
    response = client_for(alice).get(f"/api/v1/organizations/{organization.id}/projects")
    assert response.status_code == 200
    assert [item["id"] for item in response.json()["results"]] == [str(inside.id)]
    assert str(outside.id) not in str(response.json())
    assert client_for(bob).get(f"/api/v1/organizations/{organization.id}/projects").status_code == 404


def test_deleting_a_tracker_removes_its_organizations_and_projects(alice):
    project = project_for(alice)
    tracker = project.organization.tracker
    client_for(alice).delete(f"/api/v1/trackers/{tracker.id}")
    assert client_for(alice).get(f"/api/v1/projects/{project.id}").status_code == 404


def test_lists_are_paginated(alice):
    for index in range(3):
        tracker_for(alice, name=f"T{index}")
    body = client_for(alice).get("/api/v1/trackers?limit=2").json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
