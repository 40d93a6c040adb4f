"""Tracker operations beyond CRUD: connection tests, syncs on demand, webhook secrets and registration."""

from dataclasses import asdict

from django.core.exceptions import ObjectDoesNotExist
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.trackers import selectors, services
from apps.trackers.api import serializers
from apps.trackers.models import Tracker
from apps.trackers.webhooks import WebhookRejected, webhook_receive
from preloop.api.resources import owned_or_field_error

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`')


def _owned_tracker(request, tracker_id) -> Tracker:
    try:
        return selectors.tracker_get(user=request.user, tracker_id=tracker_id)
    except ObjectDoesNotExist as error:
        raise exceptions.NotFound() from error


class ConnectionTestView(APIView):
    @extend_schema(
        tags=["projects"], request=serializers.ConnectionTestInputSerializer,
        responses={200: serializers.ConnectionTestResultSerializer, 400: ERROR},
        summary="Check a tracker's credentials and access to an organization/project",
        description="Give `tracker_id`, or a tracker's fields (`tracker_type`, `url`, `username`, `api_token`), or "
        "only `organization` (and `project`) identifiers of a synced organization. The tracker's own answer "
        "comes back as `success` and, when it failed, `problem` and a `message` saying what to change.",
    )  # fmt: skip
    def post(self, request):
        data = serializers.ConnectionTestInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        tracker = self._tracker(request, values)
        report = services.tracker_connection_test(
            tracker=tracker, organization=values.get("organization", ""), project=values.get("project", "")
        )
        body = asdict(report)
        body["success"] = body.pop("ok")
        body["scopes"] = list(report.scopes)
        return Response(body)

    def _tracker(self, request, values) -> Tracker:
        if values.get("tracker_id"):
            return owned_or_field_error("tracker_id", selectors.tracker_get, user=request.user,
                                        tracker_id=values["tracker_id"])  # fmt: skip
        if values.get("api_token"):
            return services.tracker_unsaved(owner=request.user, **{
                key: values[key] for key in ("tracker_type", "url", "username", "api_token") if key in values
            })  # fmt: skip
        organizations = selectors.organization_list(user=request.user).filter(
            identifier__iexact=values.get("organization", "")
        )
        if not values.get("organization") or organizations.count() != 1:
            raise exceptions.ValidationError({"tracker_id": [
                "Give tracker_id (or the tracker's fields), or the identifier of exactly one of your organizations."
            ]})  # fmt: skip
        return organizations.first().tracker


class TrackerSyncView(APIView):
    @extend_schema(tags=["trackers"], request=serializers.SyncRequestSerializer, responses={202: None, 404: ERROR},
                   summary="Sync this tracker now (in the background)")  # fmt: skip
    def post(self, request, tracker_id):
        tracker = _owned_tracker(request, tracker_id)
        data = serializers.SyncRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.tracker_sync_enqueue(tracker=tracker, full=data.validated_data["full"])
        return Response({"detail": "Sync queued."}, status=status.HTTP_202_ACCEPTED)


class WebhookSecretView(APIView):
    @extend_schema(tags=["trackers"], request=None, responses={200: serializers.WebhookSecretSerializer, 404: ERROR},
                   summary="Rotate the tracker's webhook secret (shown once in this response)")  # fmt: skip
    def post(self, request, tracker_id):
        tracker = _owned_tracker(request, tracker_id)
        secret = services.tracker_webhook_secret_rotate(tracker=tracker)
        return Response({"webhook_url": services.tracker_webhook_url(tracker), "webhook_secret": secret})


class ProjectWebhookView(APIView):
    @extend_schema(tags=["projects"], request=None,
                   responses={201: serializers.WebhookRegistrationSerializer, 400: ERROR, 404: ERROR},
                   summary="Register Preloop's webhook on a GitHub repository or GitLab project")  # fmt: skip
    def post(self, request, project_id):
        try:
            project = selectors.project_get(user=request.user, project_id=project_id)
        except ObjectDoesNotExist as error:
            raise exceptions.NotFound() from error
        return Response(services.project_webhook_register(project=project), status=status.HTTP_201_CREATED)


class WebhookReceiveView(APIView):
    """Deliveries from trackers: authenticated by their signature, not by a user's credentials."""

    authentication_classes = []
    permission_classes = [AllowAny]
    parser_classes = []  # the raw body is needed for the signature

    @extend_schema(
        tags=["webhooks"], request=None, auth=[],
        responses={200: serializers.WebhookResultSerializer, 202: serializers.WebhookResultSerializer,
                   400: ERROR, 401: ERROR, 403: ERROR, 404: ERROR},
        summary="Receive a webhook delivery from GitHub, GitLab or Jira",
    )  # fmt: skip
    def post(self, request, tracker_type, tracker_id):
        try:
            result = webhook_receive(tracker_type=tracker_type, tracker_id=tracker_id, headers=dict(request.headers),
                                     body=request.body)  # fmt: skip
        except WebhookRejected as rejected:
            return Response({"detail": str(rejected), "errors": {}}, status=rejected.status_code)
        return Response({"detail": result.detail}, status=result.status_code)
