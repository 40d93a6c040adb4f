from django.conf import settings
from django.contrib.auth.models import update_last_login
from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import RefreshToken

from apps.accounts import selectors, services
from apps.accounts.api import serializers
from apps.accounts.login import LoginFailed, LoginThrottled, login_authenticate
from apps.accounts.permissions import request_credential
from preloop.api.errors import error_response

ERROR = OpenApiResponse(description='`{"detail": "...", "errors": {field: [...]}}`')


def _tokens_for(user) -> dict:
    refresh = RefreshToken.for_user(user)
    return {
        "access_token": str(refresh.access_token),
        "refresh_token": str(refresh),
        "token_type": "bearer",
        "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
    }


class TokenView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=serializers.TokenRequestSerializer,
        responses={200: serializers.TokenResponseSerializer, 400: ERROR, 401: ERROR, 429: ERROR},
        summary="Get an access and a refresh token (JWT) for an email or username and password",
    )
    def post(self, request):
        data = serializers.TokenRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            user = login_authenticate(
                request=request,
                identifier=data.validated_data["identifier"],
                password=data.validated_data["password"],
            )
        except LoginThrottled as throttled:
            response = error_response(str(throttled), status.HTTP_429_TOO_MANY_REQUESTS)
            response["Retry-After"] = str(throttled.retry_after_seconds)
            return response
        except LoginFailed as failed:
            return error_response(str(failed), status.HTTP_401_UNAUTHORIZED)
        update_last_login(None, user)
        return Response(_tokens_for(user))


class RefreshView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=serializers.RefreshRequestSerializer,
        responses={200: serializers.AccessTokenResponseSerializer, 400: ERROR, 401: ERROR},
        summary="Exchange a refresh token for a new access token",
    )
    def post(self, request):
        data = serializers.RefreshRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            refresh = RefreshToken(data.validated_data["refresh_token"])
        except TokenError:
            return error_response("Invalid or expired refresh token.", status.HTTP_401_UNAUTHORIZED)
        return Response(
            {
                "access_token": str(refresh.access_token),
                "token_type": "bearer",
                "expires_in": int(settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"].total_seconds()),
            }
        )


class RegisterView(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    @extend_schema(
        tags=["auth"],
        request=serializers.RegisterRequestSerializer,
        responses={201: serializers.RegisterResponseSerializer, 400: ERROR, 403: ERROR},
        summary="Create an account (403 when REGISTRATION_ENABLED=false)",
    )
    def post(self, request):
        if not settings.REGISTRATION_ENABLED:
            return error_response(
                "Registration is disabled on this instance; ask an administrator for an invitation.",
                status.HTTP_403_FORBIDDEN,
            )
        data = serializers.RegisterRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = services.user_register(**data.validated_data)
        body = {**_tokens_for(user), "user": serializers.UserSerializer(user).data}
        return Response(body, status=status.HTTP_201_CREATED)


class MeView(APIView):
    @extend_schema(
        tags=["auth"], responses={200: serializers.UserSerializer, 401: ERROR}, summary="The authenticated user"
    )
    def get(self, request):
        return Response(serializers.UserSerializer(request.user).data)


class ApiKeyListView(APIView):
    @extend_schema(
        tags=["api-keys"],
        responses={200: serializers.ApiKeySerializer(many=True)},
        summary="List your API keys (secrets are never shown again)",
    )
    def get(self, request):
        keys = selectors.api_key_list(user=request.user)
        return Response(serializers.ApiKeySerializer(keys, many=True).data)

    @extend_schema(
        tags=["api-keys"],
        request=serializers.ApiKeyCreateSerializer,
        responses={201: serializers.ApiKeyCreatedSerializer, 400: ERROR},
        summary="Create an API key; the full key is in this response only",
    )
    def post(self, request):
        data = serializers.ApiKeyCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        issued = services.api_key_create(
            user=request.user, granting_scopes=request_credential(request).scopes, **data.validated_data
        )
        body = {**serializers.ApiKeySerializer(issued.api_key).data, "key": issued.secret}
        return Response(body, status=status.HTTP_201_CREATED)


class ApiKeyDetailView(APIView):
    def _get(self, request, api_key_id):
        try:
            return selectors.api_key_get(user=request.user, api_key_id=api_key_id)
        except ObjectDoesNotExist as error:
            raise Http404 from error

    @extend_schema(
        tags=["api-keys"], responses={200: serializers.ApiKeySerializer, 404: ERROR}, summary="One of your API keys"
    )
    def get(self, request, api_key_id):
        return Response(serializers.ApiKeySerializer(self._get(request, api_key_id)).data)

    @extend_schema(
        tags=["api-keys"], responses={204: None, 404: ERROR}, summary="Revoke an API key (it stops working at once)"
    )
    def delete(self, request, api_key_id):
        services.api_key_revoke(api_key=self._get(request, api_key_id))
        return Response(status=status.HTTP_204_NO_CONTENT)
