"""In a real browser: sync with a live progress bar, validation report, the retry queue by role."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User

from memoryadmin.roles import ADMIN, OPERATOR
from sync.models import FailedItem
from tests.browser.conftest import login, shot
from tests.factories import SUCCESS, make_episode, make_member, step

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def people() -> None:
    for name, group in (("olive", OPERATOR), ("ada", ADMIN)):
        user = User.objects.create_user(name, password=f"pw-{name}-1")
        user.groups.add(Group.objects.get_or_create(name=group)[0])
        make_member(user)


def test_sync_progress_reaches_done_and_validation_opens(
    page, console_server, people, no_overflow
) -> None:
    for i in range(60):
        make_episode(
            description=f"refactor module {i}",
            task_type="refactoring",
            steps=[step("edit_file")],
            outcome=SUCCESS,
        )
    login(page, console_server, "olive", "pw-olive-1")
    page.click("nav >> text=Sync")
    page.check("input[name=force_full]")
    page.click("button:has-text('Sync now')")
    page.wait_for_selector("text=queued.")
    page.wait_for_selector("#run-progress")
    # The bar is polled every second by htmx until the cluster finishes the run.
    page.wait_for_selector("#run-status.succeeded, #run-status.partial", timeout=60_000)
    # 60 ordinary episodes: nothing for the retry queue, so the run ends succeeded.
    assert page.locator("#run-status").inner_text() == "succeeded"
    bar = page.locator("#run-progress [role=progressbar]")
    assert bar.get_attribute("aria-valuenow") == bar.get_attribute("aria-valuemax")
    assert "every 1s" not in (page.locator("#run-progress").get_attribute("hx-trigger") or "")
    no_overflow(page)
    shot(page, "sync-done")

    page.click("#run-progress >> text=Details")
    page.wait_for_selector("text=Validation")
    shot(page, "sync-run-detail")
    page.click("a[href*='/sync/validation/']:has-text('#')")
    page.wait_for_selector("#validation-checks")
    assert "fail" not in page.locator("#validation-checks .badge").all_inner_texts()
    no_overflow(page)
    shot(page, "validation-report")


def test_admin_retries_a_failed_item_operator_is_refused(
    page, console_server, people, no_overflow
) -> None:
    item = FailedItem.objects.create(
        kind="episode",
        key="00000000000000000000000000000000",
        error_class="ValueError",
        error_message="payload could not be serialised",
        remediation="fix the payload and retry",
        state="dead_letter",
        attempts=5,
    )
    login(page, console_server, "olive", "pw-olive-1")
    response = page.goto(console_server + "/sync/failed/")
    assert response is not None and response.status == 403
    assert "Forbidden" in page.locator("main").inner_text()
    shot(page, "retry-queue-operator-403")
    page.click("button:has-text('Log out')")

    login(page, console_server, "ada", "pw-ada-1")
    page.click("nav >> text=Retry queue")
    page.wait_for_selector("#failed-table >> text=payload could not be serialised")
    no_overflow(page)
    shot(page, "retry-queue-admin")
    page.click("button.retry-one")
    page.wait_for_selector("text=Retried 1 of 1 items.")
    item.refresh_from_db()
    # No episode has that key: the retry removes the cache entry and closes the record,
    # without counting another failed attempt.
    assert item.state == "resolved" and item.attempts == 5
    assert item.closed_at is not None and item.error_message.endswith("(resolved: removed)")
    assert item.retried_by is not None and item.retried_by.username == "ada"
    shot(page, "retry-queue-after-retry")
