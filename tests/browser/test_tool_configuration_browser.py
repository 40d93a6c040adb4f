"""Editing a tool's rules in a real browser: add, reorder, a CEL error shown at its column, then saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from apps.mcp_proxy.models import ToolConfiguration
from tests.browser.test_issues_browser import sign_in
from tests.trackers.factories import tracker_for


@pytest.mark.browser
def test_alice_writes_rules_fixes_a_cel_error_and_saves(page, live_server, alice):
    tracker_for(alice)
    sign_in(page, live_server.url)
    page.get_by_role("navigation").get_by_role("link", name="Tools").click()
    expect(page.get_by_role("heading", name="Tools", level=1)).to_be_visible()
    page.get_by_role("link", name="Configure search").click()

    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("Condition").nth(0).fill("args.limit > ")
    page.get_by_label("Action").nth(0).select_option("deny")
    page.get_by_role("button", name="Add a rule").click()
    page.get_by_label("Condition").nth(1).fill("true")
    page.get_by_label("Action").nth(1).select_option("allow")
    page.get_by_label("Description").nth(1).fill("Everything else")
    page.get_by_role("button", name="Move up").nth(1).click()  # "true" becomes rule #1
    expect(page.locator("tr.rule").nth(0).locator(".rule-number")).to_have_text("#1")
    expect(page.get_by_label("Condition").nth(0)).to_have_value("true")
    page.get_by_label("Require a justification").check()
    page.get_by_role("button", name="Save").click()

    error = page.locator("tr.rule").nth(1).locator(".cel-error")
    expect(error).to_contain_text("Syntax error at line 1, column 14")
    expect(error.locator("pre")).to_have_text("args.limit > \n" + " " * 13 + "^")
    assert not ToolConfiguration.objects.exists()

    page.get_by_label("Condition").nth(1).fill("args.limit > 50")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Saved the configuration of search")
    configuration = ToolConfiguration.objects.get()
    assert configuration.justification_required and configuration.is_enabled
    assert [(rule.condition, rule.action) for rule in configuration.rules.all()] == [
        ("true", "allow"), ("args.limit > 50", "deny")
    ]  # fmt: skip
    expect(page.locator("#tools tr", has_text="search")).to_contain_text("2 rules")
