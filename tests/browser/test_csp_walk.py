"""Every console page in chromium, under the Content-Security-Policy: no violation,
no script error, charts drawn inside their cards, at 390, 1366 and 1920 px, as an
operator and as an admin (screenshots in test-output/screenshots/csp-*)."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Group, User

from episodes.models import Pattern
from memoryadmin.roles import ADMIN, OPERATOR
from tests.browser.conftest import login, shot
from tests.factories import FAILURE, SUCCESS, make_episode, make_member, step
from tests.sync.conftest import sync

pytestmark = pytest.mark.django_db(transaction=True)
WIDTHS = (390, 1366, 1920)
OPERATOR_PAGES = (
    "/", "/episodes/", "/episodes/patterns/", "/episodes/heuristics/",
    "/episodes/retrieval/?description=login+redirect", "/sync/", "/sync/validation/",
)  # fmt: skip
ADMIN_PAGES = (*OPERATOR_PAGES, "/sync/failed/", "/keys/", "/audit/")


@pytest.fixture
def people() -> dict[str, str]:
    for name, group in (("olive", OPERATOR), ("ada", ADMIN)):
        user = User.objects.create_user(name, password=f"pw-{name}-1")
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        make_member(user)
    episode = make_episode(
        description="fix login redirect loop",
        context={"domain": "web", "language": "python", "tags": ["auth"]},
        steps=[step("grep"), step("pytest", success=False), step("pytest")],
        outcome=SUCCESS,
    )
    make_episode(description="stripe webhook retries", steps=[step("curl")], outcome=FAILURE)
    sync()
    return {"episode": str(episode.pk), "pattern": str(Pattern.objects.first().pk)}


def _watch(page: Any) -> list[str]:
    """Collect CSP violations and uncaught script errors of the page."""
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(f"console: {msg.text}")
            if msg.type == "error" and "Content Security Policy" in msg.text
            else None
        ),
    )
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => "
        "console.error('Content Security Policy violation: ' + e.violatedDirective"
        " + ' ' + e.blockedURI))"
    )
    return problems


def _charts_fit(page: Any) -> list[str]:
    """Charts that were not drawn, or that stick out of their card."""
    return page.evaluate(
        """() => [...document.querySelectorAll('[data-figure]')].flatMap(el => {
            const svg = el.querySelector('svg.main-svg');
            if (!svg) return [el.id + ': not drawn'];
            const card = el.closest('.card').getBoundingClientRect();
            const w = svg.getBoundingClientRect().width;
            const wide = el.id + ': ' + w + 'px in a ' + card.width + 'px card';
            return w > card.width + 1 ? [wide] : [];
        })"""
    )


@pytest.mark.parametrize(("user", "pages"), [("olive", OPERATOR_PAGES), ("ada", ADMIN_PAGES)])
def test_every_page_runs_under_the_policy(
    browser: Any, console_server: str, people: dict[str, str], user: str, pages: tuple[str, ...]
) -> None:
    details = (f"/episodes/{people['episode']}/", f"/episodes/patterns/{people['pattern']}/")
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 900})
        page = context.new_page()
        problems = _watch(page)
        login(page, console_server, user, f"pw-{user}-1")
        for path in (*pages, *details):
            response = page.goto(console_server + path)
            assert response.status == 200, (path, response.status)
            assert "script-src 'self'" in response.headers["content-security-policy"]
            page.wait_for_load_state("networkidle")
            assert _charts_fit(page) == [], (path, width)
            if width == 1366 or path == "/":
                name = path.strip("/").replace("/", "-").split("?")[0] or "overview"
                shot(page, f"csp-{user}-{width}-{name}")
        assert problems == [], (user, width, problems)
        context.close()
