from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "Notifications"

    def ready(self):
        # Declare the actors (and their `notifications` queue) at start-up, not on the first send: a queue declared
        # later is also picked up by every Worker object this process ever started, stopped ones included, whose
        # consumers then take messages that no thread runs (seen in the test session, where workers come and go).
        # Approval requests are announced on the notification channels (once, however often ready() runs).
        from apps.approvals.hooks import ANNOUNCERS
        from apps.notifications import tasks  # noqa: F401
        from apps.notifications.approvals import approval_request_announce

        if approval_request_announce not in ANNOUNCERS:
            ANNOUNCERS.append(approval_request_announce)
