"""Console pages over the issue store: search, one issue with its similar issues, a project's duplicates."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from apps.console.forms import IssueSearchForm
from apps.issues import duplicates
from apps.issues import selectors as issue_selectors
from apps.issues.embeddings.providers import EmbeddingError
from apps.issues.search import SearchError, SearchFilters, issue_search
from apps.trackers import selectors as tracker_selectors

RECENT_ISSUES = 25
SEARCH_RESULTS = 25
SIMILAR_ISSUES = 20


def _partial_wanted(request) -> bool:
    # A history restore (back button after htmx's cache missed) is sent by htmx too, but needs the whole page.
    return bool(request.htmx) and not request.htmx.history_restore_request


def _issue_or_404(user, issue_id):
    try:
        return issue_selectors.issue_get(user=user, issue_id=issue_id)
    except ObjectDoesNotExist as error:
        raise Http404("No such issue.") from error


def _project_or_404(user, project_id):
    try:
        return tracker_selectors.project_get(user=user, project_id=project_id)
    except ObjectDoesNotExist as error:
        raise Http404("No such project.") from error


@login_required
@require_GET
@vary_on_headers("HX-Request")
def issues_view(request):
    projects = list(
        tracker_selectors.project_list(user=request.user).order_by("organization__identifier", "identifier")
    )
    form = IssueSearchForm(request.GET, projects=projects)
    context = {"form": form, "projects": projects, "query": "", "hits": None, "recent": None, "warnings": []}
    if form.is_valid():
        context.update(_issue_results(request.user, form))
    if _partial_wanted(request):
        # The form stays on the page; its field errors travel with the results as out-of-band swaps.
        return render(request, "console/partials/issue_results.html", {**context, "partial": True})
    context["has_tracker"] = tracker_selectors.tracker_list(user=request.user).exists()
    return render(request, "console/issues.html", context)


def _issue_results(user, form: IssueSearchForm) -> dict:
    """Search hits for a query; without one, the most recently changed issues."""
    values = form.cleaned_data
    state = "" if values["status"] == "any" else values["status"]
    query = values["query"].strip()
    if not query:
        recent = issue_selectors.issue_list(user=user, project_id=values["project"] or None, state=state or None)
        return {"recent": list(recent[:RECENT_ISSUES])}
    filters = SearchFilters(project=values["project"], status=state)
    try:
        result = issue_search(user=user, query=query, mode=values["mode"], limit=SEARCH_RESULTS, filters=filters)
    except SearchError as error:
        form.add_error(error.field_name if error.field_name in form.fields else None, str(error))
        return {"query": query}
    return {"query": query, "hits": result.hits, "warnings": result.warnings}


def _similar_context(issue) -> dict:
    try:
        similar = duplicates.issue_similar(issue=issue, limit=SIMILAR_ISSUES, include_dismissed=True)
    except EmbeddingError as error:
        return {"issue": issue, "similar": [], "similar_problem": f"Similar issues are unavailable: {error}"}
    return {"issue": issue, "similar": similar, "similar_problem": ""}


@login_required
@require_GET
def issue_view(request, issue_id):
    issue = _issue_or_404(request.user, issue_id)
    return render(request, "console/issue.html", _similar_context(issue))


@login_required
@require_GET
def project_duplicates_view(request, project_id):
    project = _project_or_404(request.user, project_id)
    found = duplicates.project_duplicates(project=project, include_dismissed=True)
    return render(request, "console/project_duplicates.html", {"project": project, "found": found})


@login_required
@require_POST
def duplicate_dismiss_view(request, issue_id, other_id, dismissed: bool):
    """The "Not a duplicate" button and its undo, on an issue's similar issues or on a project's pairs."""
    issue, other = _issue_or_404(request.user, issue_id), _issue_or_404(request.user, other_id)
    try:
        duplicates.duplicate_pair_dismiss(issue=issue, other=other, user=request.user, dismissed=dismissed)
    except ValueError as error:
        return HttpResponseBadRequest(str(error), content_type="text/plain")
    if request.POST.get("list") == "project":
        if not request.htmx:
            return redirect("console:project-duplicates", project_id=issue.project_id)
        found = duplicates.project_duplicates(project=issue.project, include_dismissed=True)
        return render(request, "console/partials/project_duplicates.html", {"project": issue.project, "found": found})
    if not request.htmx:
        return redirect("console:issue", issue_id=issue.id)
    return render(request, "console/partials/similar_issues.html", _similar_context(issue))
