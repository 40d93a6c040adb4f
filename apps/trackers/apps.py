from django.apps import AppConfig


class TrackersConfig(AppConfig):
    name = "apps.trackers"
    label = "trackers"
    verbose_name = "Issue trackers"
