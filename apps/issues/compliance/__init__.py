"""Compliance of issues with a project's definition of ready: scoring (`compliance_estimate`) and
improvement proposals (`compliance_improve`), by rules or, when configured, by an LLM.

Entry points live in `apps.issues.compliance.services`; this package imports nothing at load time,
so `apps.issues.models` can import the model module without a cycle.
"""
