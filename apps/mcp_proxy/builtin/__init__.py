"""Preloop's own tools. Each module registers its specs when imported; list new modules here."""

BUILTIN_MODULES = [
    "apps.mcp_proxy.builtin.issues",
    "apps.mcp_proxy.builtin.search",
    "apps.mcp_proxy.builtin.compliance",
]
