from django.urls import path

from apps.notifications.api import views

urlpatterns = [
    path("notification-preferences", views.PreferenceView.as_view(), name="notification-preferences"),
    path(
        "notification-preferences/webhook-secret",
        views.WebhookSecretView.as_view(),
        name="notification-webhook-secret",
    ),
    path("notification-preferences/test", views.TestNotificationView.as_view(), name="notification-test"),
    path("notifications/deliveries", views.DeliveryListView.as_view(), name="notification-deliveries"),
    path("notifications/devices", views.DeviceListView.as_view(), name="device-list"),
    path("notifications/devices/register", views.DeviceRegisterView.as_view(), name="device-register"),
    path(
        "notifications/devices/registration-tokens",
        views.RegistrationTokenView.as_view(),
        name="device-registration-tokens",
    ),
    path("notifications/devices/<uuid:device_id>", views.DeviceDetailView.as_view(), name="device-detail"),
]
