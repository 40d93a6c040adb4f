"""Duplicate detection over the known corpus: per issue, per project (pairs and clusters), dismissals, thresholds."""

import pytest

from apps.issues.duplicates import project_duplicates_scan
from apps.issues.models import DuplicatePair
from tests.conftest import client_for
from tests.issues.corpus import SAFARI_TITLES

pytestmark = pytest.mark.django_db


def safari(corpus):
    return [corpus[title] for title in sorted(SAFARI_TITLES)]


def test_an_issue_lists_its_duplicates_and_nothing_unrelated(alice, corpus):
    first = corpus["Login fails with 500 error on Safari"]
    body = client_for(alice).get(f"/api/v1/issues/{first.id}/duplicates").json()
    assert {hit["issue"]["title"] for hit in body["results"]} == SAFARI_TITLES - {first.title}
    assert {hit["classification"] for hit in body["results"]} == {"duplicate"}
    assert body["results"][0]["similarity"] >= body["results"][1]["similarity"] > 0.8
    lonely = corpus["Typo in the README installation section"]
    assert client_for(alice).get(f"/api/v1/issues/{lonely.id}/duplicates").json()["results"] == []


def test_a_project_lists_its_pairs_and_their_cluster(alice, corpus):
    project = corpus["Export issues to CSV"].project
    body = client_for(alice).get(f"/api/v1/projects/{project.id}/duplicates").json()
    assert len(body["pairs"]) == 3
    assert all(pair["classification"] == "duplicate" for pair in body["pairs"])
    [cluster] = body["clusters"]
    assert {issue["title"] for issue in cluster} == SAFARI_TITLES


def test_thresholds_decide_duplicate_or_overlapping(alice, corpus):
    project = corpus["Export issues to CSV"].project
    client = client_for(alice)
    response = client.put(f"/api/v1/projects/{project.id}", {"duplicate_threshold": 0.9}, format="json")
    assert response.status_code == 200, response.json()
    body = client.get(f"/api/v1/projects/{project.id}/duplicates").json()
    assert sorted(pair["classification"] for pair in body["pairs"]) == ["duplicate", "overlapping", "overlapping"]
    [cluster] = body["clusters"]
    assert len(cluster) == 2  # only the pair at 0.95 is a duplicate now


def test_an_overlap_threshold_above_the_duplicate_threshold_is_refused(alice, corpus):
    project = corpus["Export issues to CSV"].project
    response = client_for(alice).put(f"/api/v1/projects/{project.id}", {"overlap_threshold": 0.8,
                                                                          "duplicate_threshold": 0.75}, format="json")  # fmt: skip
    assert response.status_code == 400
    assert "overlap_threshold" in response.json()["errors"]
    response = client_for(alice).put(f"/api/v1/projects/{project.id}", {"duplicate_threshold": 1.5}, format="json")
    assert response.status_code == 400 and "duplicate_threshold" in response.json()["errors"]


def test_a_dismissed_pair_stays_dismissed_through_rescans_until_restored(alice, corpus):
    first, second, _ = safari(corpus)
    client = client_for(alice)
    path = f"/api/v1/issues/{first.id}/duplicates/{second.id}/dismiss"
    response = client.post(path)
    assert response.status_code == 200 and response.json()["dismissed_at"]
    project = first.project
    project_duplicates_scan(project=project)
    body = client.get(f"/api/v1/projects/{project.id}/duplicates").json()
    assert len(body["pairs"]) == 2
    assert second.title not in {hit["issue"]["title"] for hit in client.get(f"/api/v1/issues/{first.id}/duplicates").json()["results"]}  # fmt: skip
    shown = client.get(f"/api/v1/issues/{first.id}/duplicates", {"include_dismissed": "true"}).json()["results"]
    assert [hit["dismissed"] for hit in shown if hit["issue"]["id"] == str(second.id)] == [True]
    assert client.delete(path).json()["dismissed_at"] is None
    assert len(client.get(f"/api/v1/projects/{project.id}/duplicates").json()["pairs"]) == 3


def test_issues_of_different_projects_cannot_be_dismissed_as_a_pair(alice, corpus):
    from django.db import transaction

    from apps.issues.models import ChangeSource, Issue
    from apps.issues.services import issues_store
    from apps.trackers.clients.base import RemoteIssue
    from tests.trackers.factories import project_for

    other_project = project_for(alice, identifier="web")
    with transaction.atomic():
        issues_store(project=other_project, source=ChangeSource.SYNC,
                     remote_issues=[RemoteIssue(external_id="1", key="#1", number=1, title="Elsewhere")])  # fmt: skip
    elsewhere = Issue.objects.get(title="Elsewhere")
    first = safari(corpus)[0]
    response = client_for(alice).post(f"/api/v1/issues/{first.id}/duplicates/{elsewhere.id}/dismiss")
    assert response.status_code == 400 and "other_issue_id" in response.json()["errors"]


def test_deleted_issues_leave_the_pairs(alice, corpus):
    from django.utils import timezone

    first = safari(corpus)[0]
    first.deleted_at = timezone.now()
    first.save(update_fields=["deleted_at"])
    body = client_for(alice).get(f"/api/v1/projects/{first.project_id}/duplicates").json()
    assert len(body["pairs"]) == 1


def test_another_users_issues_and_projects_are_not_found(alice, bob, corpus):
    first, second, _ = safari(corpus)
    bob_client = client_for(bob)
    assert bob_client.get(f"/api/v1/issues/{first.id}/duplicates").status_code == 404
    assert bob_client.get(f"/api/v1/projects/{first.project_id}/duplicates").status_code == 404
    assert bob_client.post(f"/api/v1/projects/{first.project_id}/duplicates/scan").status_code == 404
    assert bob_client.post(f"/api/v1/issues/{first.id}/duplicates/{second.id}/dismiss").status_code == 404
    assert not DuplicatePair.objects.filter(dismissed_at__isnull=False).exists()


def test_a_project_scan_is_enqueued(alice, corpus):
    project = corpus["Export issues to CSV"].project
    response = client_for(alice).post(f"/api/v1/projects/{project.id}/duplicates/scan")
    assert response.status_code == 202 and response.json()["project_id"] == str(project.id)


def test_unresolved_duplicates_are_the_open_undismissed_ones(alice, corpus):
    from apps.issues.duplicates import duplicate_pair_dismiss, issue_unresolved_duplicates

    first, second, third = safari(corpus)
    assert {issue.id for issue in issue_unresolved_duplicates(issue=first)} == {second.id, third.id}
    duplicate_pair_dismiss(issue=first, other=second, user=alice)
    third.state = "closed"
    third.save(update_fields=["state"])
    assert issue_unresolved_duplicates(issue=first) == []


def test_compliance_counts_an_open_duplicate_against_the_issue(alice, corpus):
    first = safari(corpus)[0]
    finding = client_for(alice).get(f"/api/v1/issues/{first.id}/compliance").json()
    [duplicate] = [item for item in finding["findings"] if item["id"] == "no_unresolved_duplicate"]
    assert duplicate["status"] == "missing"
    assert all(other.key in duplicate["evidence"] for other in safari(corpus)[1:])
