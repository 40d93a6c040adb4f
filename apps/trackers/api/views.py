from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response

from apps.trackers import selectors, services
from apps.trackers.api import serializers
from preloop.api.resources import ResourceViewSet, owned_or_field_error


def _crud_schema(tag: str, output, input_serializer, noun: str, created=None):
    return extend_schema_view(
        list=extend_schema(tags=[tag], summary=f"List your {noun}s"),
        create=extend_schema(
            tags=[tag], request=input_serializer, responses={201: created or output}, summary=f"Create a {noun}"
        ),
        retrieve=extend_schema(tags=[tag], summary=f"Get a {noun}"),
        update=extend_schema(
            tags=[tag],
            request=input_serializer(partial=True),
            responses={200: output},
            summary=f"Update a {noun} (send only the fields to change)",
        ),
        destroy=extend_schema(tags=[tag], responses={204: None}, summary=f"Delete a {noun}"),
    )


def _immutable(data: dict, field: str) -> None:
    if field in data:
        raise exceptions.ValidationError({field: ["Cannot be changed after creation."]})


@_crud_schema(
    "trackers",
    serializers.TrackerSerializer,
    serializers.TrackerInputSerializer,
    "tracker",
    created=serializers.TrackerCreatedSerializer,
)
class TrackerViewSet(ResourceViewSet):
    output_serializer_class = serializers.TrackerSerializer
    input_serializer_class = serializers.TrackerInputSerializer
    lookup_url_kwarg = "tracker_id"

    def get_queryset(self):
        return selectors.tracker_list(user=self.request.user)

    def perform_create(self, data):
        return services.tracker_create(owner=self.request.user, **data)

    def create(self, request, *args, **kwargs):
        """The webhook secret is shown in this response only."""
        tracker = self.perform_create(self._validated(request, partial=False))
        body = serializers.TrackerCreatedSerializer(tracker, context=self.get_serializer_context()).data
        return Response(body, status=status.HTTP_201_CREATED)

    def perform_update(self, instance, data):
        return services.tracker_update(tracker=instance, **data)

    def perform_destroy(self, instance):
        services.tracker_delete(tracker=instance)


@_crud_schema(
    "organizations", serializers.OrganizationSerializer, serializers.OrganizationInputSerializer, "organization"
)
class OrganizationViewSet(ResourceViewSet):
    output_serializer_class = serializers.OrganizationSerializer
    input_serializer_class = serializers.OrganizationInputSerializer
    lookup_url_kwarg = "org_id"

    def get_queryset(self):
        return selectors.organization_list(user=self.request.user)

    def perform_create(self, data):
        tracker = owned_or_field_error(
            "tracker_id", selectors.tracker_get, user=self.request.user, tracker_id=data.pop("tracker_id")
        )
        return services.organization_create(tracker=tracker, **data)

    def perform_update(self, instance, data):
        _immutable(data, "tracker_id")
        return services.organization_update(organization=instance, **data)

    def perform_destroy(self, instance):
        services.organization_delete(organization=instance)


@_crud_schema("projects", serializers.ProjectSerializer, serializers.ProjectInputSerializer, "project")
class ProjectViewSet(ResourceViewSet):
    output_serializer_class = serializers.ProjectSerializer
    input_serializer_class = serializers.ProjectInputSerializer
    lookup_url_kwarg = "project_id"

    def get_queryset(self):
        organization = None
        if "org_id" in self.kwargs:  # /organizations/{org_id}/projects
            organization = self.organization()
        return selectors.project_list(user=self.request.user, organization=organization)

    def organization(self):
        try:
            return selectors.organization_get(user=self.request.user, organization_id=self.kwargs["org_id"])
        except selectors.Organization.DoesNotExist as error:
            raise exceptions.NotFound() from error

    def perform_create(self, data):
        organization = owned_or_field_error(
            "organization_id",
            selectors.organization_get,
            user=self.request.user,
            organization_id=data.pop("organization_id"),
        )
        return services.project_create(organization=organization, **data)

    def perform_update(self, instance, data):
        _immutable(data, "organization_id")
        return services.project_update(project=instance, **data)

    def perform_destroy(self, instance):
        services.project_delete(project=instance)
