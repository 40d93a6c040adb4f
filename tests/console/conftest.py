"""The issue corpus of tests/issues, for the console's issue pages."""

from tests.issues.conftest import corpus  # noqa: F401 - fixture
