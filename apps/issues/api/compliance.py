"""Compliance endpoints: an issue's score and improvement proposal, a project's definition of ready."""

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.issues import selectors
from apps.issues.compliance.criteria import CRITERIA
from apps.issues.compliance.definition import definition_of_ready_get, definition_of_ready_set
from apps.issues.compliance.services import compliance_estimate, compliance_improve

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`')
ENGINE_HELP = '"rules", or "llm:<model>" when the configured LLM answered.'


class CriterionFindingSerializer(serializers.Serializer):
    id = serializers.ChoiceField(choices=list(CRITERIA))
    label = serializers.CharField()
    weight = serializers.IntegerField()
    applicable = serializers.BooleanField(help_text="False: not counted (e.g. the bug criterion on a feature).")
    status = serializers.ChoiceField(choices=["met", "partial", "missing", "not_applicable"])
    score = serializers.FloatField(min_value=0, max_value=1, help_text="1 met, 0 missing, in between partly met.")
    evidence = serializers.CharField(help_text="What in the issue the judgement rests on.")
    suggestion = serializers.CharField(allow_blank=True, help_text="What would meet the criterion; empty when met.")
    engine = serializers.CharField(help_text=ENGINE_HELP)


class ComplianceReportSerializer(serializers.Serializer):
    issue_id = serializers.UUIDField()
    issue_key = serializers.CharField()
    score = serializers.IntegerField(min_value=0, max_value=100, help_text="Weighted share of applicable criteria met.")
    engine = serializers.CharField(help_text=ENGINE_HELP)
    definition = serializers.ChoiceField(choices=["project", "default"],
                                         help_text="The project's own definition of ready, or the defaults.")  # fmt: skip
    summary = serializers.CharField()
    missing = serializers.ListField(child=serializers.CharField(), help_text="Applicable criteria not fully met.")
    findings = CriterionFindingSerializer(many=True)
    notes = serializers.ListField(child=serializers.CharField(), help_text="E.g. why the LLM answer was not used.")


class OtherChangeSerializer(serializers.Serializer):
    id = serializers.ChoiceField(choices=list(CRITERIA))
    suggestion = serializers.CharField()


class ComplianceSuggestionSerializer(serializers.Serializer):
    issue_id = serializers.UUIDField()
    issue_key = serializers.CharField()
    engine = serializers.CharField(help_text=ENGINE_HELP)
    score_before = serializers.IntegerField(min_value=0, max_value=100, help_text="The rules' score of the issue now.")
    addresses = serializers.ListField(child=serializers.CharField(), help_text="Criteria the proposed text meets.")
    title = serializers.CharField()
    title_changed = serializers.BooleanField()
    description = serializers.CharField(help_text="The whole proposed description (Markdown); gaps read [TODO: …].")
    acceptance_criteria = serializers.ListField(child=serializers.CharField())
    other_changes = OtherChangeSerializer(many=True, help_text="Unmet criteria about fields, not text.")
    notes = serializers.ListField(child=serializers.CharField())


class CriterionSettingSerializer(serializers.Serializer):
    id = serializers.ChoiceField(choices=list(CRITERIA))
    label = serializers.CharField()
    description = serializers.CharField()
    weight = serializers.IntegerField(min_value=0, max_value=100)
    default_weight = serializers.IntegerField()
    enabled = serializers.BooleanField()
    applies_to_types = serializers.ListField(child=serializers.CharField(), allow_null=True,
                                             help_text="Issue types (or type labels) it applies to; null: all.")  # fmt: skip


class DefinitionOfReadySerializer(serializers.Serializer):
    project_id = serializers.UUIDField()
    is_default = serializers.BooleanField(help_text="True: the project stores no definition; the defaults apply.")
    updated_at = serializers.DateTimeField(allow_null=True)
    criteria = CriterionSettingSerializer(many=True)


class CriterionSettingInputSerializer(serializers.Serializer):
    id = serializers.ChoiceField(choices=list(CRITERIA))
    weight = serializers.IntegerField(min_value=0, max_value=100, required=False)
    enabled = serializers.BooleanField(required=False)
    applies_to_types = serializers.ListField(child=serializers.CharField(max_length=100), allow_null=True,
                                             required=False, help_text='e.g. ["bug"]; null: every issue.')  # fmt: skip


class DefinitionOfReadyInputSerializer(serializers.Serializer):
    criteria = CriterionSettingInputSerializer(
        many=True, help_text="Settings laid over the defaults; criteria not listed keep theirs; [] resets."
    )


def _issue(request, issue_id):
    try:
        return selectors.issue_list(user=request.user, include_deleted=True).get(id=issue_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


def _project(request, project_id):
    from apps.trackers import selectors as tracker_selectors

    try:
        return tracker_selectors.project_get(user=request.user, project_id=project_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


class IssueComplianceView(APIView):
    @extend_schema(tags=["compliance"], responses={200: ComplianceReportSerializer, 404: ERROR},
                   summary="Score an issue 0-100 against its project's definition of ready")  # fmt: skip
    def get(self, request, issue_id):
        report = compliance_estimate(issue=_issue(request, issue_id))
        return Response(ComplianceReportSerializer(report.as_dict()).data)


class IssueComplianceImproveView(APIView):
    @extend_schema(tags=["compliance"], request=None, responses={200: ComplianceSuggestionSerializer, 404: ERROR},
                   summary="Propose a title, description and acceptance criteria that meet the missing criteria "
                           "(nothing is written to the tracker)")  # fmt: skip
    def post(self, request, issue_id):
        suggestion = compliance_improve(issue=_issue(request, issue_id))
        return Response(ComplianceSuggestionSerializer(suggestion.as_dict()).data)


class DefinitionOfReadyView(APIView):
    @extend_schema(tags=["compliance"], responses={200: DefinitionOfReadySerializer, 404: ERROR},
                   summary="A project's definition of ready (the defaults when it has none)")  # fmt: skip
    def get(self, request, project_id):
        definition = definition_of_ready_get(project=_project(request, project_id))
        return Response(DefinitionOfReadySerializer(definition.as_dict()).data)

    @extend_schema(tags=["compliance"], request=DefinitionOfReadyInputSerializer,
                   responses={200: DefinitionOfReadySerializer, 400: ERROR, 404: ERROR},
                   summary="Set a project's definition of ready")  # fmt: skip
    def put(self, request, project_id):
        project = _project(request, project_id)
        if not isinstance(request.data, dict) or "criteria" not in request.data:
            raise exceptions.ValidationError({"criteria": ["This field is required."]})
        # The service validates the items, so every surface reports `criteria[i].field` the same way.
        definition = definition_of_ready_set(project=project, criteria=request.data["criteria"])
        return Response(DefinitionOfReadySerializer(definition.as_dict()).data)
