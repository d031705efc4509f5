"""The local MiniLM provider, for real: int8 ONNX weights + tokenizer from registry packages."""

from __future__ import annotations

import math

import pytest

from episodes.embeddings.local import LocalMiniLMProvider
from tests.episodes.embeddings.conftest import REFERENCE


def cosine(a: list[float], b: list[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True)) / (
        math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    )


def test_vectors_have_384_unit_length_dimensions(minilm: LocalMiniLMProvider) -> None:
    vectors = minilm.embed(["Fix the flaky login test", "x"])
    assert minilm.dimension == 384 and minilm.model_id == "all-MiniLM-L6-v2-onnx-int8"
    assert [len(v) for v in vectors] == [384, 384]
    assert all(abs(math.sqrt(sum(x * x for x in v)) - 1.0) < 1e-5 for v in vectors)
    assert minilm.embed([]) == []


@pytest.mark.parametrize("sentence", sorted(REFERENCE))
def test_matches_the_fp32_sentence_transformers_model(
    minilm: LocalMiniLMProvider, sentence: str
) -> None:
    # The reference comes from the original fp32 safetensors (see reference_minilm.json).
    (vector,) = minilm.embed([sentence])
    assert cosine(vector, REFERENCE[sentence]) > 0.998


def test_paraphrases_score_far_above_unrelated_sentences(minilm: LocalMiniLMProvider) -> None:
    pairs = [
        ("How do I reset my password?", "I forgot my login credentials and need to change them"),
        ("A man is playing a guitar.", "Someone performs music on a string instrument."),
        (
            "Purchase screen throws an exception if the cart has no items",
            "The checkout page crashes when the shopping basket is empty",
        ),
    ]
    unrelated = "The stock market fell sharply today."
    for first, paraphrase in pairs:
        a, b, c = minilm.embed([first, paraphrase, unrelated])
        assert cosine(a, b) > 0.5
        assert cosine(a, c) < 0.15
        assert cosine(a, b) - cosine(a, c) > 0.4


def test_a_batch_gives_the_same_vectors_as_one_text_at_a_time(
    minilm: LocalMiniLMProvider,
) -> None:
    texts = [
        "short",
        "Refactor the payment webhook handler so retries are idempotent and logged",
        "Debug the race condition in the connection pool when two workers start at once",
        "docs",
        "Speed up the CSV export for large accounts " * 20,  # longer than 256 tokens: truncated
        "Add tests",
        "Investigate why the nightly backup job silently skips the uploads bucket",
        "a b c",
        "Translate the onboarding emails into German",
    ]
    batch = minilm.embed(texts)
    for text, vector in zip(texts, batch, strict=True):
        (single,) = minilm.embed([text])
        assert max(abs(x - y) for x, y in zip(vector, single, strict=True)) < 1e-5
