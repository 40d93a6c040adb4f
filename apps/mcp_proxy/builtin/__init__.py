"""Preloop's own tools. Each module registers its specs when imported; list new modules here."""

BUILTIN_MODULES = [
    "apps.mcp_proxy.builtin.issues",
]
