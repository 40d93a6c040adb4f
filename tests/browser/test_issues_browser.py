"""Searching issues and dismissing a duplicate in a real browser, htmx included."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from apps.issues.models import DuplicatePair
from tests.conftest import PASSWORD
from tests.issues.conftest import corpus  # noqa: F401 - fixture

FIRST = "Login fails with 500 error on Safari"
SECOND = "Users cannot log in with Safari: server error after submitting the form"


def sign_in(page, base_url: str) -> None:
    page.goto(f"{base_url}/login")
    page.get_by_label("Email or username").fill("alice@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/")


def the_pair(issues: dict) -> DuplicatePair:
    first, second = sorted([issues[FIRST].id, issues[SECOND].id])
    return DuplicatePair.objects.get(issue_a_id=first, issue_b_id=second)


@pytest.mark.browser
def test_alice_searches_and_dismisses_a_duplicate_with_htmx(page, live_server, alice, corpus):  # noqa: F811
    sign_in(page, live_server.url)
    page.get_by_role("navigation").get_by_role("link", name="Issues").click()
    expect(page.get_by_role("heading", name="Recently changed")).to_be_visible()
    expect(page.locator("li.result")).to_have_count(len(corpus))

    page.get_by_label("Search").fill("safari login")
    with page.expect_response(lambda r: "/issues?" in r.url and r.request.method == "GET") as sent:
        page.get_by_role("button", name="Search").click()
    assert sent.value.request.headers.get("hx-request") == "true", "the search was not sent by htmx"
    expect(page.get_by_role("heading", name=re.compile(r"results? for “safari login”"))).to_be_visible()
    expect(page).to_have_url(re.compile(r"/issues\?query=safari(\+|%20)login&mode=hybrid"))
    expect(page.get_by_role("heading", level=1)).to_have_count(1)  # the partial replaced the results only
    first = page.locator("li.result", has_text=FIRST)
    expect(first).to_contain_text("keyword match #1 (title has login, safari)")

    first.get_by_role("link", name="Similar issues").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(FIRST)
    row = page.locator("#similar-issues tr", has_text=SECOND)
    with page.expect_response(lambda r: r.url.endswith("/dismiss")) as dismissed:
        row.get_by_role("button", name="Not a duplicate").click()
    assert dismissed.value.request.headers.get("hx-request") == "true", "the dismissal was not sent by htmx"
    expect(row.get_by_role("button", name="Undo")).to_be_visible()
    expect(page.locator("#similar-issues tr.inactive")).to_have_count(1)
    assert the_pair(corpus).dismissed_at is not None

    row.get_by_role("button", name="Undo").click()
    expect(row.get_by_role("button", name="Not a duplicate")).to_be_visible()
    expect(page.locator("#similar-issues tr.inactive")).to_have_count(0)
    assert the_pair(corpus).dismissed_at is None

    page.get_by_role("link", name="All duplicates in acme/api").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Duplicates in acme/api")
    expect(page.locator(".cluster li")).to_have_count(3)
