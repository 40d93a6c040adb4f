from django.conf import settings
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.notifications import devices, preferences, selectors
from apps.notifications.api import serializers
from apps.notifications.delivery import notification_test_send
from preloop.api.pagination import Pagination

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`')
TAGS = ["notifications"]


class PreferenceView(APIView):
    @extend_schema(
        tags=TAGS,
        responses={200: serializers.NotificationPreferenceSerializer},
        summary="Your notification preferences",
    )
    def get(self, request):
        return Response(
            serializers.NotificationPreferenceSerializer(selectors.preference_get(user_id=request.user.pk)).data
        )

    @extend_schema(
        tags=TAGS,
        request=serializers.NotificationPreferenceUpdateSerializer,
        responses={200: serializers.NotificationPreferenceSavedSerializer, 400: ERROR},
        summary="Change your notification preferences (fields not sent stay; webhook URLs are write-only)",
    )
    def put(self, request):
        data = serializers.NotificationPreferenceUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        saved = preferences.preference_update(user=request.user, **data.validated_data)
        body = serializers.NotificationPreferenceSerializer(saved.preference).data
        if saved.webhook_secret:
            body["webhook_secret"] = saved.webhook_secret
        return Response(body)


class WebhookSecretView(APIView):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: serializers.NotificationWebhookSecretSerializer},
        summary="Rotate your webhook signing secret (the new one is shown once)",
    )
    def post(self, request):
        return Response({"webhook_secret": preferences.webhook_secret_rotate(user=request.user)})


class TestNotificationView(APIView):
    @extend_schema(
        tags=TAGS,
        request=serializers.TestNotificationSerializer,
        responses={202: serializers.TestNotificationResultSerializer, 400: ERROR},
        summary="Send yourself a sample approval notice over one enabled channel",
    )
    def post(self, request):
        data = serializers.TestNotificationSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        deliveries = notification_test_send(user=request.user, channel=data.validated_data["channel"])
        body = {"deliveries": serializers.NotificationDeliverySerializer(deliveries, many=True).data}
        return Response(body, status=status.HTTP_202_ACCEPTED)


class DeliveryListView(APIView):
    @extend_schema(
        tags=TAGS,
        responses={200: serializers.NotificationDeliverySerializer(many=True)},
        summary="Notifications sent to you, newest first, with their outcome",
    )
    def get(self, request):
        paginator = Pagination()
        page = paginator.paginate_queryset(selectors.delivery_list(user=request.user), request, view=self)
        return paginator.get_paginated_response(serializers.NotificationDeliverySerializer(page, many=True).data)


class DeviceListView(APIView):
    @extend_schema(tags=TAGS, responses={200: serializers.DeviceSerializer(many=True)}, summary="Your devices")
    def get(self, request):
        return Response(serializers.DeviceSerializer(selectors.device_list(user=request.user), many=True).data)


class DeviceDetailView(APIView):
    @extend_schema(tags=TAGS, responses={204: None, 404: ERROR}, summary="Remove a device (it gets no more pushes)")
    def delete(self, request, device_id):
        device = selectors.device_list(user=request.user).filter(id=device_id).first()
        if device is None:
            raise Http404
        devices.device_delete(device=device)
        return Response(status=status.HTTP_204_NO_CONTENT)


class RegistrationTokenView(APIView):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={201: serializers.RegistrationTokenSerializer},
        summary="A single-use, short-lived token that registers a device to you (what the console's QR code holds)",
    )
    def post(self, request):
        issued = devices.device_registration_token_create(user=request.user)
        body = {
            "registration_token": issued.token,
            "server_url": settings.PRELOOP_URL,
            "expires_at": issued.expires_at,
            "qr_payload": issued.qr_payload,
        }
        return Response(serializers.RegistrationTokenSerializer(body).data, status=status.HTTP_201_CREATED)


class DeviceRegisterView(APIView):
    # The mobile app has no credential yet: the registration token is the credential, checked by the service.
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        request=serializers.DeviceRegisterSerializer,
        responses={201: serializers.DeviceSerializer, 400: ERROR},
        summary="Register a mobile device with a registration token from the QR code",
    )
    def post(self, request):
        data = serializers.DeviceRegisterSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        device = devices.device_register(**data.validated_data)
        return Response(serializers.DeviceSerializer(device).data, status=status.HTTP_201_CREATED)
