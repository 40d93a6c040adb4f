"""`/api/v1/tool-configurations`: enable or disable a tool, require a justification, and set its CEL rules."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import exceptions, serializers

from apps.mcp_proxy.configurations import selectors, services
from apps.mcp_proxy.models import ToolConfiguration, ToolRule, ToolRuleAction
from preloop.api.resources import ResourceViewSet

TAG = "tool-configurations"
SOURCE_HELP = "`preloop_builtin`, or the id of one of your MCP servers."
CONDITION_HELP = ("A CEL expression over `args`, `tool`, `server`, `user`, `now`, `hour` and `weekday`, e.g. "
                  '`args.amount > 1000` or `"prod" in args.env`.')  # fmt: skip
INVALID = OpenApiResponse(description=(
    'Invalid input. A condition that is not valid CEL is reported at its rule\'s index, with line and column: '
    '`{"detail": "Invalid input: rules.", "errors": {"rules": {"1": {"condition": ["Syntax error at line 1, '
    'column 15: ..."]}}}}`: invalid rules by their index in the list (from 0), each with its fields\' messages.'
))  # fmt: skip


POLICY_HELP = "The id of one of your approval policies, or null."
RULE_POLICY_HELP = ("require_approval rules only: the approval policy for the calls this rule matches (null: the "
                    "configuration's, else your default policy, else you alone with a 10-minute timeout).")  # fmt: skip
CONFIGURATION_POLICY_HELP = ("When set, a call that no rule matches needs this policy's approval (instead of being "
                             "allowed), and require_approval rules without a policy of their own use it.")  # fmt: skip


class ToolRuleSerializer(serializers.ModelSerializer):
    condition = serializers.CharField(help_text=CONDITION_HELP)
    approval_policy_id = serializers.UUIDField(allow_null=True, help_text=RULE_POLICY_HELP)

    class Meta:
        model = ToolRule
        fields = ["id", "condition", "action", "description", "approval_policy_id"]
        read_only_fields = fields


class ToolConfigurationSerializer(serializers.ModelSerializer):
    tool_source = serializers.CharField(read_only=True, help_text=SOURCE_HELP)
    rules = ToolRuleSerializer(
        many=True, read_only=True, help_text="In order; the first of the winning action decides."
    )
    approval_policy_id = serializers.UUIDField(allow_null=True, help_text=CONFIGURATION_POLICY_HELP)

    class Meta:
        model = ToolConfiguration
        fields = ["id", "tool_name", "tool_source", "is_enabled", "justification_required", "approval_policy_id",
                  "rules", "created_at", "updated_at"]  # fmt: skip
        read_only_fields = fields


class ToolRuleInputSerializer(serializers.Serializer):
    condition = serializers.CharField(help_text=CONDITION_HELP, trim_whitespace=False)
    action = serializers.ChoiceField(choices=ToolRuleAction.choices)
    description = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    approval_policy_id = serializers.UUIDField(required=False, allow_null=True, default=None,
                                               help_text=RULE_POLICY_HELP)  # fmt: skip

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # A partial update (PATCH/PUT) makes nested fields optional too, but a rule in the new list is whole.
        missing = {name: ["This field is required."] for name in ("condition", "action") if name not in values}
        if missing:
            raise serializers.ValidationError(missing)
        return services.RuleInput(**values)


class ToolConfigurationInputSerializer(serializers.Serializer):
    tool_name = serializers.CharField(max_length=200, help_text="The tool's own name at its source (no prefix).")
    tool_source = serializers.CharField(max_length=100, help_text=SOURCE_HELP)
    is_enabled = serializers.BooleanField(required=False, default=True)
    justification_required = serializers.BooleanField(required=False, default=False, help_text=(
        "Callers must give a `justification` argument (listed as required); it is stored with the call and "
        "removed from the arguments the tool and the rules see."))  # fmt: skip
    approval_policy_id = serializers.UUIDField(required=False, allow_null=True,
                                               help_text=f"{POLICY_HELP} {CONFIGURATION_POLICY_HELP}")  # fmt: skip
    rules = ToolRuleInputSerializer(many=True, required=False, help_text="The whole list, in order; replaces it.")


def _saved(save, **kwargs) -> ToolConfiguration:
    try:
        return save(**kwargs)
    except services.RulesInvalid as invalid:
        raise exceptions.ValidationError({"rules": invalid.as_errors()}) from invalid


@extend_schema_view(
    list=extend_schema(tags=[TAG], summary="List your tool configurations",
                       parameters=[OpenApiParameter("tool_source", OpenApiTypes.STR, description=SOURCE_HELP)]),
    create=extend_schema(tags=[TAG], request=ToolConfigurationInputSerializer,
                         responses={201: ToolConfigurationSerializer, 400: INVALID},
                         summary="Configure a tool (one configuration per tool)"),
    retrieve=extend_schema(tags=[TAG], summary="Get a tool configuration and its rules"),
    update=extend_schema(tags=[TAG], request=ToolConfigurationInputSerializer(partial=True),
                         responses={200: ToolConfigurationSerializer, 400: INVALID},
                         summary="Change a tool configuration (send only the fields to change; `rules` replaces "
                                 "the list)"),
    destroy=extend_schema(tags=[TAG], responses={204: None}, summary="Delete a tool configuration and its rules"),
)  # fmt: skip
class ToolConfigurationViewSet(ResourceViewSet):
    output_serializer_class = ToolConfigurationSerializer
    input_serializer_class = ToolConfigurationInputSerializer
    lookup_url_kwarg = "configuration_id"

    def get_queryset(self):
        source = self.request.query_params.get("tool_source") if self.action == "list" else None
        return selectors.tool_configuration_list(user=self.request.user, tool_source=source)

    def perform_create(self, data):
        return _saved(services.tool_configuration_create, owner=self.request.user, **data)

    def perform_update(self, instance, data):
        return _saved(services.tool_configuration_update, configuration=instance, **data)

    def perform_destroy(self, instance):
        services.tool_configuration_delete(configuration=instance)
