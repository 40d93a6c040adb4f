from django.urls import path

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
    path("projects", ProjectViewSet.as_view(COLLECTION), name="project-list"),
    path("projects/<uuid:project_id>", ProjectViewSet.as_view(MEMBER), name="project-detail"),
]
