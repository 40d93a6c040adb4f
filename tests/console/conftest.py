"""The issue corpus of tests/issues and the upstream MCP servers of tests/mcp_proxy, for the console's pages."""

from tests.issues.conftest import corpus  # noqa: F401 - fixture
from tests.mcp_proxy.upstream_fixtures import secured_upstream, silent_upstream, weather_upstream  # noqa: F401
