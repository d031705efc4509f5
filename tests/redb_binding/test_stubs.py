"""The hand-written `_native.pyi` matches the compiled module."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


def test_stubtest_passes(tmp_path: Path) -> None:
    # An empty config, run outside the repo: the project's mypy config loads the Django plugin.
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\n")
    result = subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "redb_cache", "--mypy-config-file", str(config)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
