"""Compliance with an LLM configured: against a real loopback server speaking the OpenAI and Anthropic APIs."""

import json
import logging

import pytest

from apps.issues.compliance import prompts
from apps.issues.compliance.services import compliance_estimate, compliance_improve
from tests.conftest import client_for, free_port
from tests.fakes import fixtures as fake_fixtures
from tests.fakes.llm import ANTHROPIC_KEY, OPENAI_KEY
from tests.issues.test_compliance_rules import FEATURE_WITH_CRITERIA, GOOD_BUG, VAGUE, issue_for
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db
fake_llm = fake_fixtures.fake_llm  # the loopback LLM API, as a fixture of this module
TEXT_CRITERIA = ["specific_title", "problem_statement", "acceptance_criteria", "bug_reproduction"]
FEATURE_TEXT_CRITERIA = TEXT_CRITERIA[:3]  # the bug criterion does not apply


@pytest.fixture
def project(alice):
    return project_for(alice)


@pytest.fixture
def openai_llm(settings, fake_llm):
    settings.LLM_PROVIDER, settings.LLM_MODEL = "openai", "gpt-test"
    settings.LLM_BASE_URL, settings.LLM_API_KEY = fake_llm.openai_base_url, OPENAI_KEY
    settings.LLM_TIMEOUT_SECONDS = 5.0
    return fake_llm


@pytest.fixture
def anthropic_llm(settings, fake_llm):
    settings.LLM_PROVIDER, settings.LLM_MODEL = "anthropic", "claude-test"
    settings.LLM_BASE_URL, settings.LLM_API_KEY = fake_llm.url, ANTHROPIC_KEY
    settings.LLM_TIMEOUT_SECONDS = 5.0
    return fake_llm


def judged(ids, status="met", **overrides) -> dict:
    findings = [{"id": criterion, "status": overrides.get(criterion, status), "evidence": f"LLM on {criterion}",
                 "suggestion": "" if overrides.get(criterion, status) == "met" else f"Improve {criterion}"}
                for criterion in ids]  # fmt: skip
    return {"findings": findings, "summary": "Nearly ready."}


def test_openai_judges_the_text_criteria_with_the_documented_prompt_and_schema(project, openai_llm):
    issue = issue_for(project, **GOOD_BUG)
    openai_llm.say(judged(TEXT_CRITERIA, acceptance_criteria="partial"))
    report = compliance_estimate(issue=issue)
    assert report.engine == "llm:gpt-test" and report.summary == "Nearly ready." and report.notes == []
    findings = {finding.id: finding for finding in report.findings}
    assert findings["acceptance_criteria"].score == 0.5 and findings["acceptance_criteria"].engine == "llm:gpt-test"
    assert findings["labels"].engine == "rules" and findings["priority"].evidence == "Priority: High."
    assert report.score == 90  # half of the 20 points of acceptance criteria
    request = openai_llm.requests[-1]
    assert request.path == "/v1/chat/completions" and request.headers["authorization"] == f"Bearer {OPENAI_KEY}"
    body = openai_llm.sent()
    assert body["model"] == "gpt-test"
    assert body["response_format"] == {"type": "json_schema", "json_schema": {
        "name": "compliance_estimate", "strict": True, "schema": prompts.estimate_schema(TEXT_CRITERIA)}}  # fmt: skip
    system, user = body["messages"]
    assert system == {"role": "system", "content": prompts.ESTIMATE_SYSTEM}
    assert user["role"] == "user" and GOOD_BUG["title"] in user["content"]
    assert "- bug_reproduction: For bugs: steps to reproduce" in user["content"]


def test_criteria_that_do_not_apply_are_not_asked_about(project, openai_llm):
    openai_llm.say(judged(FEATURE_TEXT_CRITERIA))
    report = compliance_estimate(issue=issue_for(project, **FEATURE_WITH_CRITERIA))
    assert report.engine == "llm:gpt-test" and report.score == 100
    schema = openai_llm.sent()["response_format"]["json_schema"]["schema"]
    assert schema["properties"]["findings"]["items"]["properties"]["id"]["enum"] == FEATURE_TEXT_CRITERIA


def test_anthropic_gets_its_headers_and_the_schema_in_the_system_prompt(project, anthropic_llm):
    anthropic_llm.say("```json\n" + json.dumps(judged(TEXT_CRITERIA, specific_title="missing")) + "\n```")
    report = compliance_estimate(issue=issue_for(project, **GOOD_BUG))
    assert report.engine == "llm:claude-test" and report.score == 85
    request = anthropic_llm.requests[-1]
    assert request.path == "/v1/messages"
    assert request.headers["x-api-key"] == ANTHROPIC_KEY and request.headers["anthropic-version"] == "2023-06-01"
    body = anthropic_llm.sent()
    assert body["model"] == "claude-test" and body["max_tokens"] > 0
    assert body["system"].startswith(prompts.ESTIMATE_SYSTEM)
    assert json.dumps(prompts.estimate_schema(TEXT_CRITERIA)) in body["system"]
    assert body["messages"][0]["role"] == "user" and GOOD_BUG["title"] in body["messages"][0]["content"]


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        ("Sure! The issue looks great.", "The answer is not JSON"),
        (judged(FEATURE_TEXT_CRITERIA, problem_statement="excellent"), "at findings/1/status: 'excellent' is not one"),
        (judged(FEATURE_TEXT_CRITERIA[:2]), "at findings: 2 items, where at least 3 are allowed."),
        (judged(TEXT_CRITERIA), "at findings: 4 items, where at most 3 are allowed."),
        ({"findings": judged(FEATURE_TEXT_CRITERIA)["findings"]}, "'summary' is a required property"),
        (judged(["specific_title", "specific_title", "problem_statement"]), "instead of"),
    ],
)
def test_an_unusable_answer_falls_back_to_the_rules_with_a_note_and_a_log_line(project, openai_llm, caplog, answer,
                                                                                reason):  # fmt: skip
    openai_llm.say(answer)
    with caplog.at_level(logging.WARNING, logger="apps.issues.compliance.services"):
        report = compliance_estimate(issue=issue_for(project, **VAGUE))
    assert report.engine == "rules" and report.score == 6
    assert all(finding.engine == "rules" for finding in report.findings)
    assert len(report.notes) == 1 and report.notes[0].startswith("The LLM (gpt-test) gave no usable answer")
    assert reason in report.notes[0]
    assert any(reason in record.getMessage() for record in caplog.records)


def test_a_refused_key_or_a_failing_api_falls_back(project, openai_llm, settings):
    settings.LLM_API_KEY = "sk-wrong"
    report = compliance_estimate(issue=issue_for(project, **VAGUE))
    assert report.engine == "rules" and "HTTP 401: Incorrect API key provided." in report.notes[0]
    settings.LLM_API_KEY = OPENAI_KEY
    openai_llm.fail_next(503, times=2, body={"error": {"message": "overloaded"}})
    report = compliance_estimate(issue=issue_for(project, **VAGUE))
    assert "HTTP 503: overloaded" in report.notes[0] and len(openai_llm.requests) == 3  # retried once
    settings.LLM_BASE_URL = f"http://127.0.0.1:{free_port()}/v1"
    report = compliance_estimate(issue=issue_for(project, **VAGUE))
    assert report.engine == "rules" and "could not be reached" in report.notes[0]


def test_a_slow_llm_times_out_into_the_rules(project, openai_llm, settings):
    settings.LLM_TIMEOUT_SECONDS = 0.2
    openai_llm.fail_next(200, times=2, delay_seconds=1.0)
    report = compliance_estimate(issue=issue_for(project, **VAGUE))
    assert report.engine == "rules" and "did not answer within 0.2 s" in report.notes[0]


def test_the_llm_rewrites_the_issue_from_the_unmet_criteria(project, openai_llm):
    issue = issue_for(project, **VAGUE)
    openai_llm.say({"title": "Saving a draft issue fails silently",
                    "description": "doesnt work\n\n## Problem\n[TODO: what fails]\n\n## Acceptance criteria\n- [ ] x",
                    "acceptance_criteria": ["Saving a draft keeps it", " "], "notes": "Added a problem section."})  # fmt: skip
    suggestion = compliance_improve(issue=issue).as_dict()
    assert suggestion["engine"] == "llm:gpt-test" and suggestion["title"] == "Saving a draft issue fails silently"
    assert suggestion["title_changed"] is True and suggestion["acceptance_criteria"] == ["Saving a draft keeps it"]
    assert suggestion["notes"] == ["Added a problem section."]
    assert {change["id"] for change in suggestion["other_changes"]} == {"labels", "priority"}
    body = openai_llm.sent()
    assert len(openai_llm.requests) == 1  # the unmet criteria come from the rules: one call, not two
    assert body["response_format"]["json_schema"]["name"] == "compliance_improvement"
    assert body["response_format"]["json_schema"]["schema"] == prompts.IMPROVE_SCHEMA
    assert body["messages"][0]["content"] == prompts.IMPROVE_SYSTEM
    assert "- specific_title (Specific title): The title “Bug” has only vague words" in body["messages"][1]["content"]


def test_an_unusable_rewrite_falls_back_to_the_template(project, openai_llm):
    openai_llm.say({"title": "  ", "description": "x", "acceptance_criteria": [], "notes": ""})
    suggestion = compliance_improve(issue=issue_for(project, **VAGUE)).as_dict()
    assert suggestion["engine"] == "rules" and suggestion["title"].startswith("Bug: [TODO")
    assert "The proposed title is empty" in suggestion["notes"][0]


def test_an_issue_that_meets_everything_is_not_sent_for_rewriting(project, openai_llm):
    suggestion = compliance_improve(issue=issue_for(project, **GOOD_BUG))
    assert suggestion.engine == "rules" and openai_llm.requests == []


def test_the_rest_api_answers_200_with_a_note_when_the_llm_fails(alice, project, openai_llm):
    issue = issue_for(project, **VAGUE)
    openai_llm.say("{not json", "[]")
    report = client_for(alice).get(f"/api/v1/issues/{issue.id}/compliance")
    assert report.status_code == 200 and report.json()["engine"] == "rules" and report.json()["notes"]
    improved = client_for(alice).post(f"/api/v1/issues/{issue.id}/compliance/improve")
    assert improved.status_code == 200 and "not an object" in improved.json()["notes"][0]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"LLM_PROVIDER": "gemini"}, "LLM_PROVIDER must be none, openai or anthropic, not 'gemini'"),
        ({"LLM_PROVIDER": "openai"}, "LLM_MODEL is required when LLM_PROVIDER is set"),
    ],
)
def test_a_wrong_llm_configuration_stops_start_up_with_its_name(tmp_path, env, message):
    from tests.system.test_settings_and_startup import run_preloop

    result = run_preloop("web", PRELOOP_DATA_DIR=str(tmp_path), **env)
    assert result.returncode == 2 and message in result.stdout
