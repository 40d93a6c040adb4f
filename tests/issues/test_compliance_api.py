"""The compliance endpoints: report, improvement proposal and the project's definition of ready."""

import pytest
from django.core.exceptions import ValidationError

from apps.issues.compliance.models import DefinitionOfReady
from apps.issues.models import Issue
from tests.conftest import client_for
from tests.issues.test_compliance_rules import GOOD_BUG, SHOUTED_BUG, VAGUE, issue_for
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def project(alice):
    return project_for(alice)


def definition_url(project) -> str:
    return f"/api/v1/projects/{project.id}/definition-of-ready"


def test_the_report_of_an_issue(alice, project):
    issue = issue_for(project, **GOOD_BUG)
    response = client_for(alice).get(f"/api/v1/issues/{issue.id}/compliance")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["issue_id"] == str(issue.id) and body["issue_key"] == issue.key
    assert body["score"] == 100 and body["engine"] == "rules" and body["definition"] == "default"
    assert [finding["id"] for finding in body["findings"]] == [
        "specific_title", "problem_statement", "acceptance_criteria", "bug_reproduction", "labels", "priority",
        "no_unresolved_duplicate",
    ]  # fmt: skip
    assert set(body["findings"][0]) == {"id", "label", "weight", "applicable", "status", "score", "evidence",
                                        "suggestion", "engine"}  # fmt: skip


def test_the_improvement_proposal_is_returned_and_nothing_is_written(alice, project):
    issue = issue_for(project, **VAGUE)
    response = client_for(alice).post(f"/api/v1/issues/{issue.id}/compliance/improve")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["engine"] == "rules" and body["title_changed"] is True and "[TODO" in body["description"]
    assert body["other_changes"][0] == {"id": "labels", "suggestion": body["other_changes"][0]["suggestion"]}
    stored = Issue.objects.get(pk=issue.pk)
    assert (stored.title, stored.description) == (VAGUE["title"], VAGUE["description"])


def test_another_users_issue_and_project_are_404(alice, bob, project):
    issue = issue_for(project, **GOOD_BUG)
    bob_client = client_for(bob)
    assert bob_client.get(f"/api/v1/issues/{issue.id}/compliance").status_code == 404
    assert bob_client.post(f"/api/v1/issues/{issue.id}/compliance/improve").status_code == 404
    assert bob_client.get(definition_url(project)).status_code == 404
    response = bob_client.put(definition_url(project), {"criteria": [{"id": "labels", "enabled": False}]},
                              format="json")  # fmt: skip
    assert response.status_code == 404 and not DefinitionOfReady.objects.exists()


def test_it_needs_authentication(anon_client, project):
    issue = issue_for(project, **GOOD_BUG)
    assert anon_client.get(f"/api/v1/issues/{issue.id}/compliance").status_code == 401
    assert anon_client.get(definition_url(project)).status_code == 401


def test_a_project_without_a_definition_shows_the_defaults(alice, project):
    body = client_for(alice).get(definition_url(project)).json()
    assert body["is_default"] is True and body["updated_at"] is None
    by_id = {criterion["id"]: criterion for criterion in body["criteria"]}
    assert by_id["bug_reproduction"]["applies_to_types"] == ["bug", "defect", "incident", "regression"]
    assert by_id["labels"] == {"id": "labels", "label": "Labels", "description": by_id["labels"]["description"],
                               "weight": 10, "default_weight": 10, "enabled": True, "applies_to_types": None}  # fmt: skip
    assert sum(criterion["weight"] for criterion in body["criteria"]) == 100


def test_setting_the_definition_changes_the_score(alice, project):
    client = client_for(alice)
    issue = issue_for(project, **SHOUTED_BUG)
    before = client.get(f"/api/v1/issues/{issue.id}/compliance").json()["score"]
    response = client.put(definition_url(project), {"criteria": [
        {"id": "specific_title", "enabled": False},
        {"id": "priority", "weight": 0},
        {"id": "labels", "weight": 40, "applies_to_types": ["Bug", "feature"]},
    ]}, format="json")  # fmt: skip
    assert response.status_code == 200, response.json()
    body = response.json()
    by_id = {criterion["id"]: criterion for criterion in body["criteria"]}
    assert body["is_default"] is False and by_id["labels"]["applies_to_types"] == ["bug", "feature"]
    assert by_id["specific_title"]["enabled"] is False and by_id["problem_statement"]["weight"] == 20
    after = client.get(f"/api/v1/issues/{issue.id}/compliance").json()
    assert after["definition"] == "project" and "specific_title" not in [f["id"] for f in after["findings"]]
    assert (before, after["score"]) == (22, round((0.33 * 20 + 40 + 5) * 100 / 105))
    assert client.get(definition_url(project)).json()["criteria"] == body["criteria"]


def test_an_empty_list_returns_the_project_to_the_defaults(alice, project):
    client = client_for(alice)
    client.put(definition_url(project), {"criteria": [{"id": "labels", "weight": 30}]}, format="json")
    response = client.put(definition_url(project), {"criteria": []}, format="json")
    assert response.status_code == 200 and response.json()["is_default"] is True
    assert not DefinitionOfReady.objects.filter(project=project).exists()


@pytest.mark.parametrize(
    ("criteria", "errors"),
    [
        ([{"id": "clarity"}], {"criteria[0].id"}),
        ([{"weight": 5}], {"criteria[0].id"}),
        ([{"id": "labels"}, {"id": "labels", "weight": 101}], {"criteria[1].id", "criteria[1].weight"}),
        ([{"id": "labels", "weight": "high", "enabled": "yes"}], {"criteria[0].weight", "criteria[0].enabled"}),
        ([{"id": "labels", "weight": True}], {"criteria[0].weight"}),
        ([{"id": "labels", "applies_to_types": []}], {"criteria[0].applies_to_types"}),
        ([{"id": "labels", "applies_to_types": "bug"}], {"criteria[0].applies_to_types"}),
        ([{"id": "labels", "colour": "red"}], {"criteria[0]"}),
        (["labels"], {"criteria[0]"}),
        ({"labels": 10}, {"criteria"}),
        ([{"id": criterion, "enabled": False} for criterion in ("specific_title", "problem_statement",
          "acceptance_criteria", "bug_reproduction", "labels", "priority", "no_unresolved_duplicate")],
         {"criteria"}),
    ],
)  # fmt: skip
def test_invalid_criteria_are_refused_with_the_field_named(alice, project, criteria, errors):
    response = client_for(alice).put(definition_url(project), {"criteria": criteria}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body["errors"]) == errors, body
    assert body["detail"].startswith("Invalid input:")
    assert not DefinitionOfReady.objects.exists()


def test_the_error_messages_say_what_is_allowed(alice, project):
    body = client_for(alice).put(definition_url(project), {"criteria": [{"id": "clarity", "weight": -1}]},
                                 format="json").json()  # fmt: skip
    assert body["errors"]["criteria[0].id"] == [
        "Unknown criterion 'clarity'; known: specific_title, problem_statement, acceptance_criteria, "
        "bug_reproduction, labels, priority, no_unresolved_duplicate."
    ]
    assert body["errors"]["criteria[0].weight"] == ["Must be a whole number from 0 to 100."]
    missing = client_for(alice).put(definition_url(project), {"weights": []}, format="json").json()
    assert missing["errors"] == {"criteria": ["This field is required."]}


def test_the_model_validates_criteria_for_the_admin_too(project):
    definition = DefinitionOfReady(project=project, criteria=[{"id": "labels", "weight": 500}])
    with pytest.raises(ValidationError) as raised:
        definition.full_clean()
    assert raised.value.message_dict == {"criteria": ["criteria[0].weight: Must be a whole number from 0 to 100."]}


def test_the_endpoints_are_in_the_openapi_schema(client):
    paths = client.get("/openapi.json").json()["paths"]
    assert set(paths["/api/v1/issues/{issue_id}/compliance"]) == {"get"}
    assert set(paths["/api/v1/issues/{issue_id}/compliance/improve"]) == {"post"}
    assert set(paths["/api/v1/projects/{project_id}/definition-of-ready"]) == {"get", "put"}
    put = paths["/api/v1/projects/{project_id}/definition-of-ready"]["put"]
    assert set(put["responses"]) == {"200", "400", "404"}
    report = paths["/api/v1/issues/{issue_id}/compliance"]["get"]["responses"]["200"]
    assert report["content"]["application/json"]["schema"]["$ref"].endswith("/ComplianceReport")
