"""context_retrieve: hybrid ranking with real MiniLM embeddings, keyword fallback without."""

from __future__ import annotations

import pytest

from episodes.embeddings import episode_embedding_refresh
from episodes.retrieval import context_retrieve
from episodes.services.usage import pattern_retrievals_pending
from tests.factories import FAILURE, SUCCESS, default_namespace_id, make_episode, step

pytestmark = pytest.mark.django_db

UNRELATED = [
    "write release notes for the mobile app",
    "tune the kubernetes ingress timeouts",
    "translate the onboarding emails into German",
]


def _seed(embed: bool) -> dict[str, str]:
    ids = {}
    target = make_episode(
        description="users cannot sign in after the password reset",
        context={"domain": "web", "language": "python"},
        steps=[step("pytest", success=False), step("edit_file"), step("pytest")],
        outcome=SUCCESS,
    )
    ids["target"] = str(target.pk)
    for text in UNRELATED:
        episode = make_episode(
            description=text, context={"domain": "web"}, steps=[step()], outcome=FAILURE
        )
        ids[text] = str(episode.pk)
    if embed:
        for episode_id in ids.values():
            episode_embedding_refresh(episode_id=episode_id)
    return ids


def test_semantic_match_without_shared_keywords_ranks_first(settings) -> None:
    ns = default_namespace_id()
    settings.EMBEDDINGS_PROVIDER = "local"
    ids = _seed(embed=True)
    # Not one word in common with "users cannot sign in after the password reset".
    result = context_retrieve(
        namespace_id=ns, description="login broken once credentials were changed", limit=4
    )
    assert result.mode == "hybrid"
    ranked = [str(s.item.pk) for s in result.episodes]
    assert ranked[0] == ids["target"]
    top = result.episodes[0].breakdown
    assert top["keyword"] == 0.0 and top["semantic"] > 0.3
    assert set(top) == {"semantic", "keyword", "context", "reward", "recency"}
    others = [s.breakdown["semantic"] for s in result.episodes[1:]]
    assert all(top["semantic"] > o for o in others)


def test_without_embeddings_the_keyword_fallback_says_so(settings) -> None:
    ns = default_namespace_id()
    settings.EMBEDDINGS_PROVIDER = "none"
    ids = _seed(embed=False)
    result = context_retrieve(
        namespace_id=ns,
        description="password reset sign in bug",
        context={"task_type": "debugging"},
        limit=3,
    )
    assert result.mode == "keyword"
    assert str(result.episodes[0].item.pk) == ids["target"]
    assert result.episodes[0].breakdown["semantic"] == 0.0
    assert result.episodes[0].breakdown["keyword"] == 1.0


def test_patterns_and_heuristics_come_with_their_breakdown(settings) -> None:
    ns = default_namespace_id()
    settings.EMBEDDINGS_PROVIDER = "none"
    _seed(embed=False)
    result = context_retrieve(
        namespace_id=ns,
        description="sign in fails",
        context={"task_type": "debugging", "language": "python"},
        limit=5,
    )
    assert result.patterns and all("success_rate" in s.breakdown for s in result.patterns)
    assert result.heuristics and all("confidence" in s.breakdown for s in result.heuristics)
    # Ranking counts nothing: the API tallies retrievals off the request path.
    assert [s.item.times_retrieved for s in result.patterns] == [0] * len(result.patterns)
    assert pattern_retrievals_pending() == {}


def test_nothing_relevant_returns_nothing(settings) -> None:
    ns = default_namespace_id()
    settings.EMBEDDINGS_PROVIDER = "none"
    _seed(embed=False)
    assert context_retrieve(namespace_id=ns, description="zzzz qqqq", limit=5).episodes == []
