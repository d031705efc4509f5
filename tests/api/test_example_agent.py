"""docs/example_agent.py (the README's example) runs against a live server with a real key."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from episodes.models import Episode
from memoryadmin.apikeys.services import api_key_create
from tests.conftest import ROOT


@pytest.mark.django_db(transaction=True)
def test_example_agent_round_trip(live_server: Any) -> None:
    key = api_key_create(name="example", scopes=["read", "write"]).key
    env = {**os.environ, "MEMORYADMIN_URL": live_server.url, "MEMORYADMIN_API_KEY": key}
    result = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "example_agent.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "started" in result.stdout and "logged 2 steps" in result.stdout
    assert "retrieval mode keyword" in result.stdout
    episode = Episode.objects.get()
    assert episode.verdict == "success" and episode.step_count == 2


def test_the_readme_shows_the_same_example() -> None:
    example = (ROOT / "docs" / "example_agent.py").read_text()
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## JSON API") :]
    assert f"```python\n{example}```" in section
