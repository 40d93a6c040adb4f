from django.urls import path

from apps.issues.api import compliance
from apps.issues.api.intelligence import (
    DuplicateDismissView,
    IssueDuplicatesView,
    IssueSearchView,
    ProjectDuplicatesScanView,
    ProjectDuplicatesView,
)
from apps.issues.api.views import IssueCommentView, IssueViewSet

urlpatterns = [
    path("issues", IssueViewSet.as_view({"get": "list", "post": "create"}), name="issue-list"),
    path(
        "issues/<uuid:issue_id>",
        IssueViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}),
        name="issue-detail",
    ),
    path("issues/<uuid:issue_id>/comments", IssueCommentView.as_view(), name="issue-comments"),
    path("issues/search", IssueSearchView.as_view(), name="issue-search"),
    path("issues/<uuid:issue_id>/duplicates", IssueDuplicatesView.as_view(), name="issue-duplicates"),
    path(
        "issues/<uuid:issue_id>/duplicates/<uuid:other_issue_id>/dismiss",
        DuplicateDismissView.as_view(),
        name="issue-duplicate-dismiss",
    ),
    path("projects/<uuid:project_id>/duplicates", ProjectDuplicatesView.as_view(), name="project-duplicates"),
    path(
        "projects/<uuid:project_id>/duplicates/scan",
        ProjectDuplicatesScanView.as_view(),
        name="project-duplicates-scan",
    ),
]

urlpatterns += [
    path("issues/<uuid:issue_id>/compliance", compliance.IssueComplianceView.as_view(), name="issue-compliance"),
    path(
        "issues/<uuid:issue_id>/compliance/improve",
        compliance.IssueComplianceImproveView.as_view(),
        name="issue-compliance-improve",
    ),
    path(
        "projects/<uuid:project_id>/definition-of-ready",
        compliance.DefinitionOfReadyView.as_view(),
        name="project-definition-of-ready",
    ),
]
