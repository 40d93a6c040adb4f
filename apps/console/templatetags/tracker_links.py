"""Links to pages in a tracker, whose URLs come from the tracker's API and are not ours to trust."""

from urllib.parse import urlsplit

from django import template

register = template.Library()


@register.filter
def http_url(url: str) -> str:
    """The URL if it is http(s), else "": a hostile tracker could send `javascript:` as an issue's page."""
    try:
        scheme = urlsplit(url or "").scheme.lower()
    except ValueError:
        return ""
    return url if scheme in ("http", "https") else ""
