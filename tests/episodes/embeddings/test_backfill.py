"""The backfill command and the completion task, with the real local provider."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from episodes.embeddings import episode_text
from episodes.embeddings.store import blob_to_vector
from episodes.models import Embedding, Episode
from episodes.tasks import episode_embed
from tests.factories import FAILURE, SUCCESS, make_episode, step

pytestmark = pytest.mark.django_db

MODEL = "all-MiniLM-L6-v2-onnx-int8"


def completed(count: int) -> list[Episode]:
    return [
        make_episode(description=f"fix flaky test number {i}", steps=[step()], outcome=SUCCESS)
        for i in range(count)
    ]


def test_episode_text_covers_description_context_and_outcome() -> None:
    episode = make_episode(
        description="Repair the nightly export",
        context={
            "language": "python",
            "framework": "django",
            "domain": "billing",
            "tags": ["cron"],
        },
        steps=[step(success=False), step()],
        outcome=FAILURE,
    )
    text = episode_text(episode)
    assert text.startswith("Repair the nightly export\nContext: debugging, python, django, billing")
    assert "Tags: cron" in text and "Outcome: failure. could not reproduce timeout" in text
    assert "Lessons: " in text and "Completed the" not in text


def test_backfill_embeds_only_what_is_missing_and_is_idempotent(use_provider) -> None:  # type: ignore[no-untyped-def]
    use_provider("local")
    done = completed(5)
    make_episode(description="still running")  # not completed: not embedded
    out = StringIO()
    call_command("backfill_embeddings", "--limit", "2", "--batch-size", "1", stdout=out)
    assert "embedded 1/2 episodes" in out.getvalue() and "embedded 2/2 episodes" in out.getvalue()
    assert Embedding.objects.count() == 2
    out = StringIO()
    call_command("backfill_embeddings", "--batch-size", "2", stdout=out)
    assert "3 episode(s) embedded with " + MODEL in out.getvalue()
    assert set(Embedding.objects.values_list("owner_id", flat=True)) == {e.pk.hex for e in done}
    assert {len(blob_to_vector(e.vector)) for e in Embedding.objects.all()} == {384}
    out = StringIO()
    call_command("backfill_embeddings", stdout=out)
    assert "0 episode(s) embedded" in out.getvalue() and Embedding.objects.count() == 5


def test_backfill_without_a_provider_is_a_command_error(use_provider) -> None:  # type: ignore[no-untyped-def]
    use_provider("none")
    with pytest.raises(CommandError, match="EMBEDDINGS_PROVIDER is none"):
        call_command("backfill_embeddings")


def test_the_completion_task_embeds_one_episode(use_provider) -> None:  # type: ignore[no-untyped-def]
    use_provider("none")
    (episode,) = completed(1)
    assert episode_embed(str(episode.pk)) is None
    use_provider("local")
    assert episode_embed(str(episode.pk)) == MODEL
    assert episode_embed(str(episode.pk)) == MODEL  # again: replaces, never duplicates
    assert Embedding.objects.get().owner_id == episode.pk.hex
    Episode.objects.filter(pk=episode.pk).update(deleted_at=episode.started_at)
    Embedding.objects.all().delete()
    assert episode_embed(str(episode.pk)) is None and not Embedding.objects.exists()
