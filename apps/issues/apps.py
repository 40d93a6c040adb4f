from django.apps import AppConfig


class IssuesConfig(AppConfig):
    name = "apps.issues"
    label = "issues"
    verbose_name = "Issues"

    def ready(self):
        from apps.issues.embeddings import consumer  # noqa: F401 - registers the `embeddings` event consumer
