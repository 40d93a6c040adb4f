from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions
from rest_framework.response import Response

from apps.issues import selectors
from apps.issues.api import serializers
from preloop.api.resources import ResourceViewSet

LIST_FILTERS = [
    OpenApiParameter("project", OpenApiTypes.UUID, description="Only this project's issues."),
    OpenApiParameter("organization", OpenApiTypes.UUID, description="Only this organization's issues."),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "closed"]),
    OpenApiParameter("label", OpenApiTypes.STR, description="Only issues with this label."),
    OpenApiParameter("include_deleted", OpenApiTypes.BOOL, description="Also issues the tracker no longer has."),
]


@extend_schema_view(
    list=extend_schema(tags=["issues"], parameters=LIST_FILTERS,
                       summary="List your synced issues, most recently changed first"),
    retrieve=extend_schema(tags=["issues"], responses={200: serializers.IssueDetailSerializer},
                           summary="Get an issue with its comments"),
)  # fmt: skip
class IssueViewSet(ResourceViewSet):
    output_serializer_class = serializers.IssueSerializer
    lookup_url_kwarg = "issue_id"

    def get_queryset(self):
        params = self.request.query_params
        try:
            return selectors.issue_list(
                user=self.request.user, project_id=params.get("project"), organization_id=params.get("organization"),
                state=params.get("state"), label=params.get("label"),
                include_deleted=params.get("include_deleted", "").lower() in ("1", "true", "yes"),
            )  # fmt: skip
        except ValueError as error:
            raise exceptions.ValidationError({"query": [str(error)]}) from error

    def retrieve(self, request, *args, **kwargs):
        try:
            issue = selectors.issue_get(user=request.user, issue_id=kwargs["issue_id"])
        except ObjectDoesNotExist as error:
            raise exceptions.NotFound() from error
        return Response(serializers.IssueDetailSerializer(issue, context=self.get_serializer_context()).data)
