"""Search and duplicate endpoints: thin views over apps/issues/search.py and apps/issues/duplicates.py."""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.issues import duplicates, selectors
from apps.issues.api.serializers import IssueSerializer
from apps.issues.search import MAX_LIMIT, MODES, SearchError, SearchFilters, issue_search

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`')


class SearchParamsSerializer(serializers.Serializer):
    query = serializers.CharField(help_text="Words, a phrase in quotes, `-word` to exclude, or an issue key.")
    mode = serializers.ChoiceField(choices=MODES, default="hybrid",
                                   help_text="keyword: full text; semantic: meaning (embeddings); hybrid: both, fused.")  # fmt: skip
    organization = serializers.CharField(required=False, default="", help_text="Organization identifier or id.")
    project = serializers.CharField(required=False, default="", help_text="`api`, `acme/api`, `PROJ` or a project id.")
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=10)
    status = serializers.CharField(required=False, default="", help_text="open, closed, or a tracker status name.")
    labels = serializers.CharField(required=False, default="", help_text="Comma-separated; all must be present.")
    type = serializers.CharField(required=False, default="", help_text="Issue type, e.g. Bug.")
    updated_since = serializers.DateTimeField(required=False, default=None)


class MatchSerializer(serializers.Serializer):
    keyword_rank = serializers.IntegerField(allow_null=True)
    semantic_rank = serializers.IntegerField(allow_null=True)
    similarity = serializers.FloatField(allow_null=True, help_text="Cosine similarity to the query, when semantic.")
    reason = serializers.CharField(help_text="Why it matched, in words.")


class SearchHitSerializer(serializers.Serializer):
    score = serializers.FloatField(help_text="0 to 1; hybrid: reciprocal rank fusion, 1.0 = first in both lists.")
    match = MatchSerializer(source="*")
    issue = IssueSerializer()


class SearchResultSerializer(serializers.Serializer):
    query = serializers.CharField()
    mode = serializers.CharField()
    embedding_model = serializers.CharField(allow_null=True)
    count = serializers.SerializerMethodField()
    results = SearchHitSerializer(many=True, source="hits")
    warnings = serializers.ListField(child=serializers.CharField())

    def get_count(self, result) -> int:
        return len(result.hits)


class IssueSearchView(APIView):
    @extend_schema(tags=["issues"], parameters=[SearchParamsSerializer], responses={200: SearchResultSerializer, 400: ERROR},
                   summary="Search your issues by keywords, meaning, or both")  # fmt: skip
    def get(self, request):
        params = SearchParamsSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        values = params.validated_data
        filters = SearchFilters(
            organization=values["organization"], project=values["project"], status=values["status"],
            labels=tuple(label.strip() for label in values["labels"].split(",") if label.strip()),
            issue_type=values["type"], updated_since=values["updated_since"],
        )  # fmt: skip
        try:
            result = issue_search(user=request.user, query=values["query"], mode=values["mode"],
                                  limit=values["limit"], filters=filters)  # fmt: skip
        except SearchError as error:
            raise exceptions.ValidationError({error.field_name: [str(error)]}) from error
        return Response(SearchResultSerializer(result).data)


def _issue(request, issue_id):
    try:
        return selectors.issue_get(user=request.user, issue_id=issue_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


def _flag(request, name: str) -> bool:
    return request.query_params.get(name, "").lower() in ("1", "true", "yes")


class SimilarIssueSerializer(serializers.Serializer):
    similarity = serializers.FloatField()
    classification = serializers.ChoiceField(choices=["duplicate", "overlapping"])
    dismissed = serializers.BooleanField()
    issue = IssueSerializer()


class IssueDuplicatesSerializer(serializers.Serializer):
    issue_id = serializers.UUIDField()
    duplicate_threshold = serializers.FloatField()
    overlap_threshold = serializers.FloatField()
    results = SimilarIssueSerializer(many=True)


class IssueDuplicatesView(APIView):
    @extend_schema(tags=["duplicates"], responses={200: IssueDuplicatesSerializer, 404: ERROR},
                   parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="At most this many (1 to 50)."),
                               OpenApiParameter("include_dismissed", OpenApiTypes.BOOL)],
                   summary="Issues of the same project that duplicate or overlap this one")  # fmt: skip
    def get(self, request, issue_id):
        issue = _issue(request, issue_id)
        try:
            limit = min(max(int(request.query_params.get("limit", 10)), 1), 50)
        except ValueError as error:
            raise exceptions.ValidationError({"limit": ["must be a whole number."]}) from error
        found = duplicates.issue_similar(
            issue=issue, limit=limit, include_dismissed=_flag(request, "include_dismissed")
        )
        project = issue.project
        return Response(IssueDuplicatesSerializer({
            "issue_id": issue.id, "duplicate_threshold": project.duplicate_threshold,
            "overlap_threshold": project.overlap_threshold, "results": found,
        }).data)  # fmt: skip


class DuplicatePairSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    similarity = serializers.FloatField()
    classification = serializers.ChoiceField(choices=["duplicate", "overlapping"])
    dismissed_at = serializers.DateTimeField(allow_null=True)
    issues = serializers.SerializerMethodField()

    def get_issues(self, pair) -> list[dict]:
        return [_brief(pair.issue_a), _brief(pair.issue_b)]


class IssueBriefSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    key = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    url = serializers.CharField()


def _brief(issue) -> dict:
    return IssueBriefSerializer(issue).data


class ProjectDuplicatesSerializer(serializers.Serializer):
    project_id = serializers.UUIDField(source="project.id")
    duplicate_threshold = serializers.FloatField(source="project.duplicate_threshold")
    overlap_threshold = serializers.FloatField(source="project.overlap_threshold")
    pairs = DuplicatePairSerializer(many=True)
    clusters = serializers.ListField(child=IssueBriefSerializer(many=True),
                                     help_text="Groups of issues joined by duplicate pairs, largest first.")  # fmt: skip


def _project(request, project_id):
    from apps.trackers import selectors as tracker_selectors

    try:
        return tracker_selectors.project_get(user=request.user, project_id=project_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


class ProjectDuplicatesView(APIView):
    @extend_schema(tags=["duplicates"], responses={200: ProjectDuplicatesSerializer, 404: ERROR},
                   parameters=[OpenApiParameter("include_dismissed", OpenApiTypes.BOOL)],
                   summary="The project's candidate duplicate pairs and clusters (kept current by workers)")  # fmt: skip
    def get(self, request, project_id):
        found = duplicates.project_duplicates(project=_project(request, project_id),
                                              include_dismissed=_flag(request, "include_dismissed"))  # fmt: skip
        return Response(ProjectDuplicatesSerializer(found).data)


class ProjectDuplicatesScanView(APIView):
    @extend_schema(tags=["duplicates"], request=None, responses={202: OpenApiResponse(description="Scan enqueued")},
                   summary="Re-scan the whole project for duplicate pairs in the background")  # fmt: skip
    def post(self, request, project_id):
        from apps.issues.tasks import project_duplicates_rescan

        project = _project(request, project_id)
        project_duplicates_rescan.send(str(project.id))
        return Response({"detail": "Scan enqueued.", "project_id": str(project.id)}, status=status.HTTP_202_ACCEPTED)


class DismissSerializer(serializers.Serializer):
    issue_a = serializers.UUIDField()
    issue_b = serializers.UUIDField()
    dismissed_at = serializers.DateTimeField(allow_null=True)


class DuplicateDismissView(APIView):
    @extend_schema(tags=["duplicates"], request=None, responses={200: DismissSerializer, 400: ERROR, 404: ERROR},
                   summary="Mark two issues as not duplicates; later scans keep the mark")  # fmt: skip
    def post(self, request, issue_id, other_issue_id):
        return self._set(request, issue_id, other_issue_id, dismissed=True)

    @extend_schema(tags=["duplicates"], request=None, responses={200: DismissSerializer, 400: ERROR, 404: ERROR},
                   summary="Undo a dismissal: the pair is a candidate again")  # fmt: skip
    def delete(self, request, issue_id, other_issue_id):
        return self._set(request, issue_id, other_issue_id, dismissed=False)

    def _set(self, request, issue_id, other_issue_id, *, dismissed: bool):
        issue, other = _issue(request, issue_id), _issue(request, other_issue_id)
        try:
            pair = duplicates.duplicate_pair_dismiss(issue=issue, other=other, user=request.user, dismissed=dismissed)
        except ValueError as error:
            raise exceptions.ValidationError({"other_issue_id": [str(error)]}) from error
        return Response(DismissSerializer({"issue_a": pair.issue_a_id, "issue_b": pair.issue_b_id,
                                           "dismissed_at": pair.dismissed_at}).data)  # fmt: skip
