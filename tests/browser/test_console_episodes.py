"""In a real browser: log in, filter episodes live, open a detail, use the playground."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from playwright.sync_api import expect

from memoryadmin.roles import OPERATOR
from tests.browser.conftest import login, shot
from tests.factories import FAILURE, SUCCESS, make_episode, make_member, step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def seeded() -> None:
    user = User.objects.create_user("olive", password="pw-operator-1")
    user.groups.add(Group.objects.get_or_create(name=OPERATOR)[0])
    make_member(user)
    make_episode(
        description="fix login redirect loop",
        context={"domain": "web", "language": "python", "tags": ["auth"]},
        steps=[step("grep"), step("pytest", success=False), step("edit_file"), step("pytest")],
        outcome=SUCCESS,
    )
    make_episode(
        description="stripe webhook retries",
        context={"domain": "payments"},
        steps=[step("curl", success=False)],
        outcome=FAILURE,
    )
    for i in range(5):
        make_episode(
            description=f"document module {i}",
            task_type="documentation",
            steps=[step("edit_file")],
            outcome=SUCCESS,
        )


def test_login_overview_filter_and_detail(page, console_server, seeded, no_overflow) -> None:
    page.goto(console_server + "/episodes/")
    assert "/accounts/login/" in page.url
    shot(page, "login")
    login(page, console_server, "olive", "pw-operator-1")
    page.wait_for_selector("#chart-episodes-per-day .main-svg")  # plotly drew the chart
    episodes = page.locator("#overview-stats .stat").filter(has_text="Episodes").first
    assert episodes.locator(".value").inner_text() == "7"  # every episode seeded above
    no_overflow(page)
    shot(page, "overview")

    page.click("nav >> text=Episodes")
    page.wait_for_selector("#episode-table")
    assert page.locator("#episode-table tbody tr").count() == 7
    page.fill("input[name=text]", "stripe")  # live filtering, no submit
    # Not wait_for_function: a string of JavaScript is eval, which the CSP refuses.
    expect(page.locator("#episode-table tbody tr")).to_have_count(1)
    assert "stripe webhook retries" in page.locator("#episode-table").inner_text()
    assert "text=stripe" in page.url  # the filter is in the address bar
    page.fill("input[name=text]", "")
    page.select_option("select[name=verdict]", "success")
    expect(page.locator("#episode-table tbody tr")).to_have_count(6)
    no_overflow(page)
    shot(page, "episodes-filtered")

    page.click("text=fix login redirect loop")
    page.wait_for_selector("#chart-reward-breakdown .main-svg")
    body = page.locator("main").inner_text()
    assert "#2 pytest" in body and "Reflection" in body
    no_overflow(page)
    shot(page, "episode-detail")


def test_retrieval_playground(page, console_server, seeded, no_overflow) -> None:
    login(page, console_server, "olive", "pw-operator-1")
    page.goto(console_server + "/episodes/retrieval/")
    page.fill("textarea[name=description]", "login redirect problem")
    page.click("button:has-text('Retrieve')")
    page.wait_for_selector("#retrieval-results table")
    text = page.locator("#retrieval-results").inner_text()
    assert "fix login redirect loop" in text and "keyword" in text
    no_overflow(page)
    shot(page, "retrieval")
