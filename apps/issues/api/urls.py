from django.urls import path

from apps.issues.api.views import IssueCommentView, IssueViewSet

urlpatterns = [
    path("issues", IssueViewSet.as_view({"get": "list", "post": "create"}), name="issue-list"),
    path(
        "issues/<uuid:issue_id>",
        IssueViewSet.as_view({"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}),
        name="issue-detail",
    ),
    path("issues/<uuid:issue_id>/comments", IssueCommentView.as_view(), name="issue-comments"),
]
