"""Jira Cloud's Atlassian Document Format (ADF) to and from the Markdown that Preloop stores."""

from apps.trackers.clients.adf_from_markdown import markdown_to_adf
from apps.trackers.clients.adf_to_markdown import adf_to_markdown

__all__ = ["adf_to_markdown", "markdown_to_adf"]
