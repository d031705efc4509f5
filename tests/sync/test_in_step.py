"""A run over a cache already in step counts it, touches nothing; a change takes the full path."""

from __future__ import annotations

import pytest

from episodes.services import episode_update
from sync.models import ValidationReport
from sync.models.runs import Status
from tests.sync.conftest import dump_cache, seed, sync

pytestmark = pytest.mark.django_db


def test_a_second_run_with_nothing_changed_is_in_step() -> None:
    seed(4)
    first = sync()
    before, reports = dump_cache(), ValidationReport.objects.count()
    run = sync()
    assert run.status == Status.SUCCEEDED
    assert run.unchanged_count == first.new_count == run.progress_total
    assert run.new_count == run.modified_count == 0
    assert dump_cache() == before
    assert ValidationReport.objects.count() == reports  # nothing written, nothing to validate


def test_a_change_a_new_window_or_new_rules_take_the_full_path(settings) -> None:
    episodes = seed(4)
    sync()

    def full_run(**options: object) -> bool:
        reports = ValidationReport.objects.count()
        sync(**options)
        return ValidationReport.objects.count() == reports + 1  # the full path validates

    episode_update(
        episode_id=episodes[0].pk,
        namespace_id=episodes[0].namespace_id,
        metadata={"reviewed": True},
    )
    assert full_run()
    settings.MAX_EPISODES_CACHE = 2
    assert full_run()
    assert full_run(exclude=["domain:nowhere"])
    assert full_run(force_full=True)
    assert not full_run()  # in step again: same rules and window as the last full run
