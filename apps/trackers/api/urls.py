from django.urls import path

from apps.trackers.api import actions
from apps.trackers.api.views import OrganizationViewSet, ProjectViewSet, TrackerViewSet

COLLECTION = {"get": "list", "post": "create"}
MEMBER = {"get": "retrieve", "put": "update", "patch": "update", "delete": "destroy"}

urlpatterns = [
    path("trackers", TrackerViewSet.as_view(COLLECTION), name="tracker-list"),
    path("trackers/<uuid:tracker_id>", TrackerViewSet.as_view(MEMBER), name="tracker-detail"),
    path("organizations", OrganizationViewSet.as_view(COLLECTION), name="organization-list"),
    path("organizations/<uuid:org_id>", OrganizationViewSet.as_view(MEMBER), name="organization-detail"),
    path(
        "organizations/<uuid:org_id>/projects",
        ProjectViewSet.as_view({"get": "list"}),
        name="organization-projects",
    ),
    path("trackers/<uuid:tracker_id>/sync", actions.TrackerSyncView.as_view(), name="tracker-sync"),
    path(
        "trackers/<uuid:tracker_id>/webhook-secret", actions.WebhookSecretView.as_view(), name="tracker-webhook-secret"
    ),
    path("projects/test-connection", actions.ConnectionTestView.as_view(), name="project-test-connection"),
    path("projects/<uuid:project_id>/webhook", actions.ProjectWebhookView.as_view(), name="project-webhook"),
    path("webhooks/<str:tracker_type>/<uuid:tracker_id>", actions.WebhookReceiveView.as_view(), name="webhook-receive"),
    path("projects", ProjectViewSet.as_view(COLLECTION), name="project-list"),
    path("projects/<uuid:project_id>", ProjectViewSet.as_view(MEMBER), name="project-detail"),
]
