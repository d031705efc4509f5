"""Which cache tables a run's scope covers, and which source passes feed them."""

from __future__ import annotations

from hotcache.cache import EMBEDDINGS, EPISODES, HEURISTICS, PATTERNS
from sync.models.runs import Scope

TABLES = {
    Scope.ALL: (EPISODES, PATTERNS, HEURISTICS, EMBEDDINGS),
    Scope.EPISODES: (EPISODES,),
    Scope.PATTERNS: (PATTERNS,),
    Scope.HEURISTICS: (HEURISTICS,),
    Scope.EMBEDDINGS: (EMBEDDINGS,),
}
# The passes that stream sources; embeddings ride along with their owners' pass.
PHASES = {
    Scope.ALL: (EPISODES, PATTERNS, HEURISTICS),
    Scope.EPISODES: (EPISODES,),
    Scope.PATTERNS: (PATTERNS,),
    Scope.HEURISTICS: (HEURISTICS,),
    Scope.EMBEDDINGS: (EPISODES, PATTERNS),
}
