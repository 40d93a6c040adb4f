from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.issues import selectors, writes
from apps.issues.api import serializers
from apps.trackers.clients.base import IssueDraft
from preloop.api.resources import ResourceViewSet, owned_or_field_error

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`; tracker refusals under `tracker`')

LIST_FILTERS = [
    OpenApiParameter("project", OpenApiTypes.UUID, description="Only this project's issues."),
    OpenApiParameter("organization", OpenApiTypes.UUID, description="Only this organization's issues."),
    OpenApiParameter("state", OpenApiTypes.STR, enum=["open", "closed"]),
    OpenApiParameter("label", OpenApiTypes.STR, description="Only issues with this label."),
    OpenApiParameter("include_deleted", OpenApiTypes.BOOL, description="Also issues the tracker no longer has."),
]


TRACKER_ERRORS = {400: ERROR, 403: ERROR, 404: ERROR, 429: ERROR, 502: ERROR}


class IssueGone(exceptions.APIException):
    status_code = status.HTTP_410_GONE
    default_detail = "This issue is already deleted."


@extend_schema_view(
    list=extend_schema(tags=["issues"], parameters=LIST_FILTERS,
                       summary="List your synced issues, most recently changed first"),
    retrieve=extend_schema(tags=["issues"], responses={200: serializers.IssueDetailSerializer},
                           summary="Get an issue with its comments"),
    create=extend_schema(tags=["issues"], request=serializers.IssueCreateSerializer,
                         responses={201: serializers.IssueDetailSerializer, **TRACKER_ERRORS},
                         summary="Create an issue in the tracker (then stored here)"),
    update=extend_schema(tags=["issues"], request=serializers.IssueWriteSerializer,
                         responses={200: serializers.IssueDetailSerializer, **TRACKER_ERRORS},
                         summary="Change an issue in the tracker (send only what changes)"),
    destroy=extend_schema(tags=["issues"], responses={204: None, **TRACKER_ERRORS, 410: ERROR},
                          summary="Delete an issue in the tracker (then marked deleted here)",
                          description="Deletes the issue for good in GitHub (the token's user must be a repository "
                                      "admin), GitLab (project owners) or Jira (Delete Issues permission; an issue "
                                      "with subtasks is refused). The local copy keeps its `deleted_at` and leaves "
                                      "the list. 410 when it is already deleted or moved."),
)  # fmt: skip
class IssueViewSet(ResourceViewSet):
    output_serializer_class = serializers.IssueSerializer
    input_serializer_class = serializers.IssueWriteSerializer
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

    def _issue(self, issue_id):
        try:
            return selectors.issue_get(user=self.request.user, issue_id=issue_id)
        except ObjectDoesNotExist as error:
            raise exceptions.NotFound() from error

    def _detail(self, issue, http_status=status.HTTP_200_OK) -> Response:
        issue = self._issue(issue.id)  # re-read with comments and relations
        return Response(serializers.IssueDetailSerializer(issue, context=self.get_serializer_context()).data,
                        status=http_status)  # fmt: skip

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self._issue(kwargs["issue_id"]))

    def create(self, request, *args, **kwargs):
        data = serializers.IssueCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        project = self._project(
            values.pop("project_id", None), values.pop("organization", ""), values.pop("project", "")
        )
        issue = writes.issue_create(project=project, draft=IssueDraft(**values))
        return self._detail(issue, status.HTTP_201_CREATED)

    def update(self, request, *args, **kwargs):
        issue = self._issue(kwargs["issue_id"])
        changes = IssueDraft(**self._validated(request, partial=True))
        return self._detail(writes.issue_update(issue=issue, changes=changes))

    def destroy(self, request, *args, **kwargs):
        try:
            writes.issue_delete(issue=self._issue(kwargs["issue_id"]))
        except writes.IssueAlreadyDeleted as gone:
            raise IssueGone(str(gone)) from gone
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _project(self, project_id, organization: str, project: str):
        from apps.trackers import selectors as tracker_selectors

        if project_id:
            return owned_or_field_error("project_id", tracker_selectors.project_get, user=self.request.user,
                                        project_id=project_id)  # fmt: skip
        matches = tracker_selectors.project_list(user=self.request.user).filter(
            organization__identifier__iexact=organization, identifier__iexact=project
        )
        if not (organization and project) or matches.count() != 1:
            raise exceptions.ValidationError({"project_id": [
                "Give project_id, or organization and project identifiers of exactly one of your projects."
            ]})  # fmt: skip
        return matches.get()


class IssueCommentView(APIView):
    @extend_schema(tags=["issues"], request=serializers.CommentCreateSerializer,
                   responses={201: serializers.CommentSerializer, **TRACKER_ERRORS},
                   summary="Comment on an issue in the tracker (then stored here)")  # fmt: skip
    def post(self, request, issue_id):
        try:
            issue = selectors.issue_get(user=request.user, issue_id=issue_id)
        except ObjectDoesNotExist as error:
            raise exceptions.NotFound() from error
        data = serializers.CommentCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        comment = writes.issue_comment_add(issue=issue, body=data.validated_data["body"])
        return Response(serializers.CommentSerializer(comment).data, status=status.HTTP_201_CREATED)
