from django.urls import path

from apps.issues.api import compliance
from apps.issues.api.views import IssueCommentView, IssueViewSet

urlpatterns = [
    path("issues", IssueViewSet.as_view({"get": "list", "post": "create"}), name="issue-list"),
    path(
        "issues/<uuid:issue_id>",
        IssueViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update"}),
        name="issue-detail",
    ),
    path("issues/<uuid:issue_id>/comments", IssueCommentView.as_view(), name="issue-comments"),
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
