from django.urls import path

from apps.issues.api.views import IssueViewSet

urlpatterns = [
    path("issues", IssueViewSet.as_view({"get": "list"}), name="issue-list"),
    path("issues/<uuid:issue_id>", IssueViewSet.as_view({"get": "retrieve"}), name="issue-detail"),
]
