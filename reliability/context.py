"""What the runner hands every scenario: a work directory, the seeded template, a seed."""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from reliability.common import DataDir, log, manage

EPISODES = 2000


@dataclass
class Context:
    work: Path
    seed: int
    _template: DataDir | None = None

    @property
    def rng(self) -> random.Random:
        return random.Random(self.seed)

    def template(self) -> DataDir:
        """A migrated database with EPISODES demo episodes, seeded once per harness run."""
        if self._template is None:
            data = DataDir(self.work / "template")
            data.path.mkdir(parents=True, exist_ok=True)
            env = data.env()
            log(f"seeding the template: {EPISODES} episodes (seed_demo)")
            manage(env, "migrate", "--noinput", "-v0")
            manage(env, "seed_demo", "--episodes", str(EPISODES), "--seed", str(self.seed))
            self._template = data
        return self._template

    def data(self, name: str) -> DataDir:
        """A fresh copy of the template for one scenario."""
        return self.template().copy(self.work / name)

    def empty(self, name: str) -> DataDir:
        """A migrated database without episodes."""
        data = DataDir(self.work / name)
        data.path.mkdir(parents=True, exist_ok=True)
        manage(data.env(), "migrate", "--noinput", "-v0")
        return data
