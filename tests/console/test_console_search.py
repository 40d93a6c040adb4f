"""The console's issue pages through HTTP: search, an issue with its similar issues, a project's duplicates."""

from __future__ import annotations

import html
import re

import pytest

from apps.issues.embeddings.providers import embedding_provider
from apps.issues.models import DuplicatePair, Issue
from apps.issues.selectors import issue_list
from tests.issues.corpus import SAFARI_TITLES
from tests.trackers.factories import project_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
FIRST = "Login fails with 500 error on Safari"
SECOND = "Users cannot log in with Safari: server error after submitting the form"
THIRD = "Sign-in broken on Safari (HTTP 500)"
ISSUE_LINK = re.compile(r'<a href="/issues/[0-9a-f-]{36}">([^<]+)</a>')


def titles(fragment: str) -> list[str]:
    """The titles of the issues linked in an HTML fragment, in order."""
    return [html.unescape(title) for title in ISSUE_LINK.findall(fragment)]


def results(page: str) -> list[str]:
    """Each search result or recent issue, as its HTML."""
    return re.findall(r'<li class="result">(.*?)</li>', page, re.S)


def rows(page: str, container_id: str) -> list[tuple[bool, str]]:
    """(dismissed, HTML) of each table row inside the element with this id (a partial is that element's inside)."""
    start = max(page.find(f'id="{container_id}"'), 0)
    return [(css == "inactive", row) for css, row in re.findall(r'<tr class="(\w*)">(.*?)</tr>', page[start:], re.S)]


def pair(corpus, first: str, second: str) -> DuplicatePair:
    a, b = sorted([corpus[first].id, corpus[second].id])
    return DuplicatePair.objects.get(issue_a_id=a, issue_b_id=b)


@pytest.fixture
def semantic_unavailable(settings):
    """An embedding provider that cannot be built, as with a misconfigured API."""
    settings.EMBEDDING_PROVIDER = "unconfigured"
    embedding_provider.cache_clear()
    yield
    embedding_provider.cache_clear()


# Search ----------------------------------------------------------------------------------------------------


def test_it_finds_issues_and_says_why_they_matched(client, alice, corpus):
    client.force_login(alice)
    response = client.get("/issues", {"query": "safari login", "mode": "hybrid", "status": "any"})
    assert response.status_code == 200
    assert "<html" in response.text
    found = results(response.text)
    assert {titles(result)[0] for result in found[:3]} == SAFARI_TITLES
    first = next(result for result in found if FIRST in result)
    assert "keyword match #1 (title has login, safari)" in first
    assert re.search(r"similar in meaning #\d \(cosine 0\.\d\d\)", first)
    assert re.search(r'<meter min="0" max="1" value="(0\.\d{3}|1\.000)"', first)
    assert f'<a class="key" href="{corpus[FIRST].url}"' in first
    assert '<span class="label">bug</span>' in first
    assert f'href="/issues/{corpus[FIRST].id}#similar">Similar issues</a>' in first


def test_it_searches_by_meaning_in_semantic_mode(client, alice, corpus):
    client.force_login(alice)
    response = client.get("/issues", {"query": "night theme for the screens", "mode": "semantic"})
    found = results(response.text)
    assert titles(found[0]) == ["Add a dark mode to the dashboard"]
    assert "keyword match" not in found[0]
    assert "similar in meaning #1" in found[0]


def test_it_answers_htmx_with_the_results_partial_only(client, alice, corpus):
    client.force_login(alice)
    response = client.get("/issues", {"query": "safari", "mode": "keyword"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assert 'id="issue-search"' not in response.text  # the form stays as it is on the page
    assert {titles(result)[0] for result in results(response.text)} == SAFARI_TITLES
    assert "HX-Request" in response["Vary"]


def test_it_answers_an_htmx_history_restore_with_the_whole_page(client, alice, corpus):
    client.force_login(alice)
    response = client.get("/issues", {"query": "safari"}, HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX)
    assert "<html" in response.text
    assert 'id="issue-search"' in response.text


def test_it_lists_the_most_recently_changed_issues_without_a_query(client, alice, corpus):
    client.force_login(alice)
    response = client.get("/issues")
    assert response.status_code == 200
    assert "Recently changed" in response.text
    expected = [issue.title for issue in issue_list(user=alice)[:25]]
    assert len(expected) == len(corpus)
    assert [titles(result)[0] for result in results(response.text)] == expected
    assert "<meter" not in response.text


def test_it_filters_by_status(client, alice, corpus):
    Issue.objects.filter(id=corpus[THIRD].id).update(state="closed")
    client.force_login(alice)
    closed = client.get("/issues", {"query": "safari", "mode": "keyword", "status": "closed"})
    assert [titles(result)[0] for result in results(closed.text)] == [THIRD]
    opened = client.get("/issues", {"query": "safari", "mode": "keyword", "status": "open"})
    assert {titles(result)[0] for result in results(opened.text)} == SAFARI_TITLES - {THIRD}
    recent_closed = client.get("/issues", {"status": "closed"})
    assert [titles(result)[0] for result in results(recent_closed.text)] == [THIRD]


def test_it_filters_by_project(client, alice, corpus):
    other = project_for(alice, identifier="web")
    client.force_login(alice)
    page = client.get("/issues").text
    assert f'<option value="{other.id}">org-web/web</option>' in page
    response = client.get("/issues", {"query": "safari", "mode": "keyword", "project": str(other.id)})
    assert "0 results for “safari”" in response.text
    project = corpus[FIRST].project
    response = client.get("/issues", {"query": "safari", "mode": "keyword", "project": str(project.id)})
    assert len(results(response.text)) == 3


def test_it_refuses_another_users_project_as_a_filter(client, alice, bob, corpus):
    client.force_login(bob)
    project_for(bob)
    response = client.get("/issues", {"query": "safari", "project": str(corpus[FIRST].project.id)}, **HTMX)
    assert response.status_code == 200
    assert results(response.text) == []
    assert re.search(r'id="id_project-errors"[^>]*hx-swap-oob="true"><p>Select a valid choice', response.text)


def test_it_warns_that_semantic_search_is_unavailable_and_shows_keyword_matches(
    client, alice, corpus, semantic_unavailable
):
    client.force_login(alice)
    response = client.get("/issues", {"query": "safari", "mode": "hybrid"})
    assert re.search(r'<p class="notice" role="status">Semantic search is unavailable, showing keyword', response.text)
    assert {titles(result)[0] for result in results(response.text)} == SAFARI_TITLES


def test_it_shows_a_search_error_next_to_its_field(client, alice, corpus, semantic_unavailable):
    client.force_login(alice)
    page = client.get("/issues", {"query": "safari", "mode": "semantic"}).text
    assert re.search(r'<div id="id_mode-errors" class="field-error"><p>Semantic search is unavailable', page)
    assert results(page) == []
    partial = client.get("/issues", {"query": "safari", "mode": "semantic"}, **HTMX).text
    assert re.search(r'<div id="id_mode-errors" class="field-error" hx-swap-oob="true"><p>Semantic search', partial)
    assert re.search(r'<div id="id_query-errors" class="field-error" hx-swap-oob="true"></div>', partial)


def test_it_tells_a_user_without_trackers_how_to_add_one(client, bob):
    client.force_login(bob)
    response = client.get("/issues")
    assert response.status_code == 200
    assert "No issues yet" in response.text
    assert '<a href="/docs">API docs</a> (<code>POST /api/v1/trackers</code>)' in response.text
    assert 'id="issue-search"' not in response.text


def test_it_links_each_projects_duplicates_from_the_search_page(client, alice, corpus):
    client.force_login(alice)
    project = corpus[FIRST].project
    response = client.get("/issues")
    assert f'<a href="/projects/{project.id}/duplicates">acme/api</a>' in response.text


def test_it_marks_issues_in_the_navigation(client, alice):
    client.force_login(alice)
    assert re.search(r'<a href="/issues" aria-current="page">Issues</a>', client.get("/issues").text)
    assert re.search(r'<a href="/issues" >Issues</a>', client.get("/").text)


# An issue and its similar issues ---------------------------------------------------------------------------


def test_the_issue_page_shows_the_issue_and_its_two_safari_duplicates(client, alice, corpus):
    issue = corpus[FIRST]
    client.force_login(alice)
    response = client.get(f"/issues/{issue.id}")
    assert response.status_code == 200
    assert f"<h1>{FIRST}</h1>" in response.text
    assert f'<pre class="description">{issue.description}</pre>' in response.text
    assert f'<a href="{issue.url}">Open in the tracker</a>' in response.text
    similar = rows(response.text, "similar-issues")
    assert {title for _, row in similar for title in titles(row)} == {SECOND, THIRD}
    assert all('<span class="badge duplicate">duplicate</span>' in row for _, row in similar)
    assert all(re.search(r"<td>0\.(8|9)\d</td>", row) for _, row in similar)
    assert [dismissed for dismissed, _ in similar] == [False, False]
    assert response.text.count(">Not a duplicate</button>") == 2
    assert f'href="/projects/{issue.project_id}/duplicates"' in response.text


def test_it_links_to_a_tracker_only_over_http(client, alice, corpus):
    issue = corpus[FIRST]
    Issue.objects.filter(id=issue.id).update(url="javascript:alert(document.cookie)")
    client.force_login(alice)
    for page in [client.get(f"/issues/{issue.id}").text, client.get("/issues", {"query": "safari"}).text]:
        assert "javascript:" not in page
        assert f'<span class="key">{issue.key}</span>' in page
    assert ">Open in the tracker</a>" not in client.get(f"/issues/{issue.id}").text


def test_an_issue_without_duplicates_says_so(client, alice, corpus):
    client.force_login(alice)
    response = client.get(f"/issues/{corpus['Typo in the README installation section'].id}")
    assert "No similar issues in this project." in response.text
    assert rows(response.text, "similar-issues") == []


def test_it_dismisses_a_duplicate_with_htmx_and_undoes_it(client, alice, corpus):
    issue, other = corpus[FIRST], corpus[SECOND]
    client.force_login(alice)
    path = f"/issues/{issue.id}/duplicates/{other.id}"
    response = client.post(f"{path}/dismiss", {"list": "issue"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    dismissed = pair(corpus, FIRST, SECOND)
    assert dismissed.dismissed_at is not None
    assert dismissed.dismissed_by == alice
    shown = {titles(row)[0]: is_dismissed for is_dismissed, row in rows(response.text, "similar-issues")}
    assert shown == {SECOND: True, THIRD: False}

    page = client.get(f"/issues/{issue.id}").text  # it persists
    undismissed = [titles(row)[0] for is_dismissed, row in rows(page, "similar-issues") if not is_dismissed]
    assert undismissed == [THIRD]
    assert f'hx-post="{path}/restore"' in page

    response = client.post(f"{path}/restore", {"list": "issue"}, **HTMX)
    assert response.status_code == 200
    assert pair(corpus, FIRST, SECOND).dismissed_at is None
    assert [is_dismissed for is_dismissed, _ in rows(response.text, "similar-issues")] == [False, False]


def test_it_dismisses_without_javascript_and_returns_to_the_issue(client, alice, corpus):
    issue, other = corpus[FIRST], corpus[THIRD]
    client.force_login(alice)
    response = client.post(f"/issues/{issue.id}/duplicates/{other.id}/dismiss", {"list": "issue"})
    assert response.status_code == 302
    assert response["Location"] == f"/issues/{issue.id}"
    assert pair(corpus, FIRST, THIRD).dismissed_at is not None


def test_it_does_not_dismiss_on_get(client, alice, corpus):
    client.force_login(alice)
    response = client.get(f"/issues/{corpus[FIRST].id}/duplicates/{corpus[SECOND].id}/dismiss")
    assert response.status_code == 405
    assert pair(corpus, FIRST, SECOND).dismissed_at is None


def test_it_refuses_to_pair_an_issue_with_itself(client, alice, corpus):
    client.force_login(alice)
    issue = corpus[FIRST]
    response = client.post(f"/issues/{issue.id}/duplicates/{issue.id}/dismiss", **HTMX)
    assert response.status_code == 400
    assert not DuplicatePair.objects.filter(issue_a=issue, issue_b=issue).exists()


# A project's duplicates ------------------------------------------------------------------------------------


def test_the_project_page_shows_the_safari_cluster_pairs_and_thresholds(client, alice, corpus):
    project = corpus[FIRST].project
    client.force_login(alice)
    response = client.get(f"/projects/{project.id}/duplicates")
    assert response.status_code == 200
    assert "<h1>Duplicates in acme/api</h1>" in response.text
    assert f'<strong id="duplicate-threshold">{project.duplicate_threshold:.2f}</strong>' in response.text
    assert f'<strong id="overlap-threshold">{project.overlap_threshold:.2f}</strong>' in response.text
    [cluster] = re.findall(r'<div class="cluster">(.*?)</ul>', response.text, re.S)
    assert sorted(titles(cluster)) == sorted(SAFARI_TITLES)
    pairs = rows(response.text, "project-duplicates")
    assert len(pairs) == 3
    assert all(not dismissed and "badge duplicate" in row for dismissed, row in pairs)
    assert response.text.index('<div class="cluster">') < response.text.index("<h2>Pairs</h2>")


def test_dismissing_on_the_project_page_rerenders_its_pairs_and_clusters(client, alice, corpus):
    project = corpus[FIRST].project
    client.force_login(alice)
    for other in (SECOND, THIRD):
        first, second = sorted([corpus[FIRST].id, corpus[other].id])
        response = client.post(f"/issues/{first}/duplicates/{second}/dismiss", {"list": "project"}, **HTMX)
        assert response.status_code == 200
    assert "<html" not in response.text
    [cluster] = re.findall(r'<div class="cluster">(.*?)</ul>', response.text, re.S)
    assert sorted(titles(cluster)) == sorted([SECOND, THIRD])
    assert [dismissed for dismissed, _ in rows(response.text, "project-duplicates")].count(True) == 2
    assert 'value="project"' in response.text  # its buttons keep re-rendering this list

    response = client.post(f"/issues/{first}/duplicates/{second}/restore", {"list": "project"})
    assert response.status_code == 302
    assert response["Location"] == f"/projects/{project.id}/duplicates"
    assert pair(corpus, FIRST, THIRD).dismissed_at is None


# Isolation and sign-in -------------------------------------------------------------------------------------


def test_bob_cannot_see_alices_issue_or_project(client, bob, corpus):
    client.force_login(bob)
    issue = corpus[FIRST]
    assert client.get(f"/issues/{issue.id}").status_code == 404
    assert client.get(f"/projects/{issue.project_id}/duplicates").status_code == 404


def test_bob_cannot_dismiss_alices_duplicates(client, bob, corpus):
    client.force_login(bob)
    response = client.post(f"/issues/{corpus[FIRST].id}/duplicates/{corpus[SECOND].id}/dismiss", **HTMX)
    assert response.status_code == 404
    assert pair(corpus, FIRST, SECOND).dismissed_at is None


def test_bob_finds_none_of_alices_issues(client, bob, corpus):
    project_for(bob)
    client.force_login(bob)
    assert results(client.get("/issues", {"query": "safari"}).text) == []
    assert results(client.get("/issues").text) == []


def test_it_sends_anonymous_visitors_to_the_login_page(client, corpus):
    issue = corpus[FIRST]
    for path in ["/issues", f"/issues/{issue.id}", f"/projects/{issue.project_id}/duplicates"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == f"/login?next={path}"
    response = client.post(f"/issues/{issue.id}/duplicates/{corpus[SECOND].id}/dismiss")
    assert response.status_code == 302
    assert response["Location"].startswith("/login?next=")
    assert pair(corpus, FIRST, SECOND).dismissed_at is None
