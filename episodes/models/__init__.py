from episodes.models.embedding import Embedding
from episodes.models.episode import ChangeCounter, Episode, EpisodeTag, ExecutionStep
from episodes.models.learning import Heuristic, Pattern

__all__ = [
    "ChangeCounter",
    "Embedding",
    "Episode",
    "EpisodeTag",
    "ExecutionStep",
    "Heuristic",
    "Pattern",
]
